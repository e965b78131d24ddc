using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Commitments.Host.Tests.Texts;

/// <summary>README's first promise, pasted into a shell as a newcomer would, whenever they do.</summary>
[Collection(TextingCollection.Name)]
public sealed partial class ReadmeExampleTests(TextingFixture fixture)
{
    [GeneratedRegex(@"A first promise, from a shell[^\n]*\n\n```bash\n(?<script>.*?)```", RegexOptions.Singleline)]
    private static partial Regex FirstPromise();

    [Fact]
    public async Task TheReadmesCurlExampleMakesAPromiseWheneverItIsPasted()
    {
        var readme = await File.ReadAllTextAsync(FindReadme());
        var script = FirstPromise().Match(readme).Groups["script"].Value;
        script.ShouldNotBeNullOrWhiteSpace();
        var work = Directory.CreateTempSubdirectory("readme-");
        var start = new ProcessStartInfo("bash") { WorkingDirectory = work.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-euc");
        start.ArgumentList.Add(script.Replace("http://127.0.0.1:5080", fixture.Texting.BaseUrl, StringComparison.Ordinal));

        using var shell = Process.Start(start)!;
        var output = await shell.StandardOutput.ReadToEndAsync();
        var errors = await shell.StandardError.ReadToEndAsync();
        await shell.WaitForExitAsync();

        shell.ExitCode.ShouldBe(0, errors);
        output.ShouldContain("\"what\":\"Extra towels\"", customMessage: output);
        output.ShouldContain("\"status\":\"open\"", customMessage: output);
        work.Delete(recursive: true);
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Commitments.sln")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("README.md above the test's folder");
    }
}
