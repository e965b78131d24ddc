using System.Net.Http.Headers;
using System.Xml;
using System.Xml.Linq;
using Commitments.LocalTwilio.Delivery;

namespace Commitments.LocalTwilio.Handsets;

/// <summary>Whether the app's answer to the inbound webhook is one Twilio accepts (spec §3), and the replies it asks for.</summary>
internal sealed record TwimlVerdict(bool Valid, string? Problem, IReadOnlyList<string> Replies)
{
    public static TwimlVerdict Judge(WebhookResult answer)
    {
        if (answer.Status is not { } status)
        {
            return Invalid($"11200 HTTP retrieval failure: {answer.Error}");
        }
        if (status == StatusCodes.Status204NoContent)
        {
            return new TwimlVerdict(true, null, []);
        }
        if (status is < 200 or > 299)
        {
            return Invalid($"11200 HTTP retrieval failure: the app answered HTTP {status}.");
        }
        if (answer.ContentType is null)
        {
            return Invalid("11200 HTTP retrieval failure: the answer has no Content-Type.");
        }
        var mediaType = MediaTypeHeaderValue.TryParse(answer.ContentType, out var type) ? type.MediaType : answer.ContentType;
        if (!string.Equals(mediaType, "text/xml", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(mediaType, "application/xml", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid($"12300 Invalid Content-Type: '{answer.ContentType}' is not text/xml or application/xml.");
        }
        XDocument document;
        try
        {
            document = XDocument.Parse(answer.Body);
        }
        catch (XmlException e)
        {
            return Invalid($"12100 Document parse failure: {e.Message}");
        }
        if (document.Root?.Name.LocalName != "Response")
        {
            return Invalid($"12200 Schema validation warning: the root element is <{document.Root?.Name.LocalName}>, not <Response>.");
        }
        var replies = document.Root.Elements("Message")
            .Select(m => (m.Element("Body")?.Value ?? m.Value).Trim())
            .ToList();
        return new TwimlVerdict(true, null, replies);
    }

    private static TwimlVerdict Invalid(string problem) => new(false, problem, []);
}
