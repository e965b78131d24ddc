using Commitments.LocalTwilio.Hosting;

// Local Twilio: a strict fake of Twilio's Programmable Messaging API (see shared/twilio-messaging.md §9).
// dotnet run --project tools/Commitments.LocalTwilio -- --urls http://127.0.0.1:5090
// The content root is the program's own folder: launched from another project's folder, it must not
// read that project's appsettings.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Options from the "LocalTwilio" section (environment LocalTwilio__…, or --LocalTwilio:…), over built-in
// defaults: one number +12025550100 and a messaging service with two pool numbers.
builder.Configuration.AddLocalTwilioDefaults();
builder.AddLocalTwilio();

var app = builder.Build();

// Twilio's Messages API under /2010-04-01, the control API under /_fake.
app.MapLocalTwilio();

app.Run();
