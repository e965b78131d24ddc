using System.Diagnostics;

namespace Commitments.Host.Development;

/// <summary>A development helper process, started first and stopped last so the silo can flush its state.</summary>
internal abstract class DevelopmentProcess : IHostedLifecycleService, IDisposable
{
    private Process? _process;

    /// <summary>Starts the program (see <see cref="Launch"/>) and waits until it answers.</summary>
    public abstract Task StartingAsync(CancellationToken cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        // Host stop and container disposal can both get here, at once when a stop times out: one of them kills.
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // The process (or one of its children) exited while its tree was being walked.
                KillAloneIfRunning(process);
            }

            process.WaitForExit(5000);
            Stopped();
        }

        process.Dispose();
    }

    private static void KillAloneIfRunning(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Starts <paramref name="start"/>, handing its error output to <paramref name="stderr"/>.</summary>
    protected Process Launch(ProcessStartInfo start, Action<string>? stderr = null)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr?.Invoke(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        return _process;
    }

    protected virtual void Stopped()
    {
    }
}
