using System.Text.Json;
using Commitments.Grains.Sites;

namespace Commitments.Host.Development;

/// <summary>Development only: every phone's conversation with the local Twilio, with a box to reply as that phone.</summary>
internal static class DevTextsPage
{
    public sealed record HandsetReply(string? From, string? Body);

    public static IEndpointRouteBuilder MapDevTexts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dev/texts").ExcludeFromDescription();
        group.MapGet("/", () => TypedResults.Content(Html, "text/html; charset=utf-8"));
        group.MapGet("/conversations", Conversations);
        group.MapPost("/reply", Reply);
        return app;
    }

    private static async Task<IResult> Conversations(
        DevelopmentTwilio.Settings twilio, IHttpClientFactory http, IGrainFactory grains, TimeProvider time)
    {
        using var client = http.CreateClient();
        var conversations = await client.GetFromJsonAsync<JsonElement>(new Uri(twilio.BaseUrl, "/_fake/conversations"));
        var names = new Dictionary<string, string>();
        SiteInfo? clock = null;
        foreach (var site in await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).List())
        {
            var siteGrain = grains.GetGrain<ISiteGrain>(site);
            clock ??= await siteGrain.GetInfo();
            foreach (var person in await siteGrain.ListStaff(includeInactive: true))
            {
                names.TryAdd(person.Mobile, $"{person.Name} ({site}/{person.Id})");
            }
        }

        // Times in the first site's zone and words, not the browser's.
        var now = time.GetUtcNow();
        var phones = conversations.EnumerateArray().Select(c => new
        {
            phone = c.GetProperty("phone").GetString(),
            messages = c.GetProperty("messages").EnumerateArray().Select(m => new
            {
                body = m.GetProperty("body").GetString(),
                direction = m.GetProperty("direction").GetString(),
                status = m.GetProperty("status").GetString(),
                at = m.TryGetProperty("dateCreated", out var created) && created.TryGetDateTimeOffset(out var at) && clock is not null
                    ? Web.Shared.SiteClock.When(clock, at, now)
                    : "",
            }),
        });
        return TypedResults.Ok(new
        {
            us = DevelopmentTwilio.OurNumber,
            names,
            zone = clock is null ? "" : Web.Shared.SiteClock.ZoneName(clock.TimeZone),
            conversations = phones,
        });
    }

    private static async Task<IResult> Reply(HandsetReply reply, DevelopmentTwilio.Settings twilio, IHttpClientFactory http)
    {
        using var client = http.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri(twilio.BaseUrl, "/_fake/handset/send"),
            new { from = reply.From, to = DevelopmentTwilio.OurNumber, body = reply.Body });
        return TypedResults.Content(await response.Content.ReadAsStringAsync(), "application/json", statusCode: (int)response.StatusCode);
    }

    private const string Html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Texts (local Twilio)</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
          body { font: 16px system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
          header { background: #1d2330; color: #fff; padding: 12px 20px; }
          main { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; padding: 16px; }
          section { background: #fff; border-radius: 12px; padding: 12px; box-shadow: 0 1px 3px #0002; display: flex; flex-direction: column; }
          h2 { font-size: 16px; margin: 0 0 8px; }
          .msgs { display: flex; flex-direction: column; gap: 6px; max-height: 420px; overflow-y: auto; }
          .m { padding: 8px 10px; border-radius: 12px; max-width: 85%; white-space: pre-wrap; overflow-wrap: anywhere; }
          .in { background: #e7ebf3; align-self: flex-start; }
          .out { background: #2563eb; color: #fff; align-self: flex-end; }
          .meta { font-size: 12px; opacity: .7; }
          form { display: flex; gap: 6px; margin-top: 8px; }
          input { flex: 1; font-size: 16px; padding: 8px; border: 1px solid #c5cbd6; border-radius: 8px; }
          button { font-size: 16px; padding: 8px 14px; border: 0; border-radius: 8px; background: #1d2330; color: #fff; }
        </style></head>
        <body><header><strong>Texts</strong> — every phone's conversation with the local Twilio. Reply as that phone below its texts.<span id="zone"></span></header>
        <main id="phones"><p>No texts yet. Make a promise with a customer mobile and SMS consent.</p></main>
        <script>
        const esc = s => s.replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        async function load() {
          const data = await (await fetch('/dev/texts/conversations')).json();
          if (!data.conversations.length) return;
          document.getElementById('zone').textContent = data.zone ? ` Times are ${data.zone}.` : '';
          const typing = document.activeElement && document.activeElement.name === 'body';
          if (typing) return;
          document.getElementById('phones').innerHTML = data.conversations.map(c => `
            <section><h2>${esc(data.names[c.phone] || 'Guest')} <span class="meta">${esc(c.phone)}</span></h2>
            <div class="msgs">${c.messages.map(m => `<div class="m ${m.direction === 'inbound' ? 'out' : 'in'}">${esc(m.body)}
              <div class="meta">${esc(m.at)} · ${esc(m.status)}</div></div>`).join('')}</div>
            <form data-phone="${esc(c.phone)}"><input name="body" placeholder="Reply as this phone" autocomplete="off"><button>Send</button></form></section>`).join('');
          document.querySelectorAll('form').forEach(f => f.onsubmit = async e => {
            e.preventDefault();
            const body = f.body.value; f.body.value = '';
            await fetch('/dev/texts/reply', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: f.dataset.phone, body }) });
            load();
          });
        }
        load(); setInterval(load, 1500);
        </script></body></html>
        """;
}
