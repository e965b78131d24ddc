using System.Diagnostics;
using System.Text;

namespace Commitments.Azurite;

/// <summary>The pinned Azurite in <c>infra/azurite</c>, installed with <c>npm ci</c> on first use.</summary>
public sealed class AzuriteInstall
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LockRetryPause = TimeSpan.FromMilliseconds(250);

    private AzuriteInstall(string folder) => Folder = folder;

    /// <summary>The infra/azurite folder (its package.json pins the version).</summary>
    public string Folder { get; }

    /// <summary>Blob, queue and table services in one process (the development default).</summary>
    public string AllServicesMain => Path.Combine(Folder, "node_modules", "azurite", "dist", "src", "azurite.js");

    /// <summary>The table service alone (tests and benchmarks need nothing else).</summary>
    public string TableMain => Path.Combine(Folder, "node_modules", "azurite", "dist", "src", "table", "main.js");

    /// <summary>The first infra/azurite found at or above any of <paramref name="startDirectories"/>.</summary>
    public static AzuriteInstall? Find(params string[] startDirectories)
    {
        foreach (var start in startDirectories)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "infra", "azurite");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return new AzuriteInstall(candidate);
                }
            }
        }

        return null;
    }

    /// <summary>Runs <c>npm ci</c> once if Azurite is not installed yet; processes starting together take turns.</summary>
    public async Task EnsureInstalledAsync(CancellationToken cancellationToken = default)
    {
        if (File.Exists(AllServicesMain) && File.Exists(TableMain))
        {
            return;
        }

        var lockPath = Path.Combine(Path.GetTempPath(), "commitments-azurite-npm-ci.lock");
        var waitingSince = Stopwatch.StartNew();
        FileStream? lockFile = null;
        while (lockFile is null)
        {
            try
            {
                lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (waitingSince.Elapsed < InstallTimeout)
            {
                await Task.Delay(LockRetryPause, cancellationToken);
            }
        }

        await using (lockFile)
        {
            if (File.Exists(AllServicesMain) && File.Exists(TableMain))
            {
                return;
            }

            var npm = OperatingSystem.IsWindows()
                ? new ProcessStartInfo("cmd.exe", "/c npm ci --no-audit --no-fund")
                : new ProcessStartInfo("npm", "ci --no-audit --no-fund");
            npm.WorkingDirectory = Folder;
            npm.RedirectStandardOutput = true;
            npm.RedirectStandardError = true;
            npm.UseShellExecute = false;

            Process process;
            try
            {
                process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm.");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("npm is missing: install Node 20 (with npm) to run Azurite.", ex);
            }

            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
                var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
                try
                {
                    await process.WaitForExitAsync(cancellationToken).WaitAsync(InstallTimeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    AzuriteProcess.Kill(process);
                    throw new InvalidOperationException($"npm ci in {Folder} did not finish within {InstallTimeout.TotalMinutes} minutes.");
                }

                var output = new StringBuilder().Append(await stdout).Append(await stderr);
                if (process.ExitCode != 0 || !File.Exists(TableMain))
                {
                    throw new InvalidOperationException($"npm ci in {Folder} failed with exit code {process.ExitCode}:{Environment.NewLine}{output}");
                }
            }
        }
    }
}
