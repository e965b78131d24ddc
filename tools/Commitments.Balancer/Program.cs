using Commitments.Balancer.Hosting;

// The load balancer in front of several Commitments hosts: sticky sessions, health checks, and a retry on another
// host for a request that never reached one (see README.md).
// dotnet run --project tools/Commitments.Balancer -- --urls http://127.0.0.1:5080 --Balancer:Hosts:0=http://127.0.0.1:5081
// The content root is the program's own folder: launched from another folder, it reads no one's appsettings.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Defaults below everything: listen on http://127.0.0.1:5080, quiet per-request proxy logs.
builder.Configuration.AddBalancerDefaults();
// Hosts from "Balancer" (Balancer__Hosts__0=…), and any standard "ReverseProxy" section.
builder.AddCommitmentsBalancer();

var app = builder.Build();

// /balancer/health, then every other path to a host.
app.MapCommitmentsBalancer();

app.Run();

public partial class Program;
