using Commitments.LocalTwilio.Hosting;

// Local Twilio: a strict fake of Twilio's Programmable Messaging API (see shared/twilio-messaging.md §9).
// dotnet run --project tools/Commitments.LocalTwilio -- --urls http://127.0.0.1:5090
var builder = WebApplication.CreateBuilder(args);

// Options from the "LocalTwilio" section: account, tokens, numbers, messaging services, lifecycle.
builder.AddLocalTwilio();

var app = builder.Build();

// Twilio's Messages API under /2010-04-01, the control API under /_fake.
app.MapLocalTwilio();

app.Run();
