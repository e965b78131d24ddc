using Commitments.Host.Escalation;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.States;

namespace Commitments.Host.Tests.Escalation;

/// <summary>
/// Whether a job will still wake its promise, on Hangfire's real in-memory storage. A storage that
/// outlives the process (Redis) keeps jobs that ran or were taken before a restart: the promise
/// activations they woke are gone, so the start-up pass must not trust them.
/// </summary>
public sealed class JobLivenessTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void AJobWaitingToRunIsLiveWhateverTheProcess()
    {
        using var storage = new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid });
        var jobs = new BackgroundJobClient(storage);
        var scheduled = jobs.Schedule(() => Console.WriteLine("wake"), TimeSpan.FromMinutes(5));
        var enqueued = jobs.Enqueue(() => Console.WriteLine("wake"));

        JobLiveness.IsLive(storage, scheduled, null, Now, since: Now.AddMinutes(1)).ShouldBeTrue();
        JobLiveness.IsLive(storage, enqueued, null, Now, since: Now.AddMinutes(1)).ShouldBeTrue();
        JobLiveness.IsLive(storage, null, null, Now, since: Now.AddMinutes(-1)).ShouldBeFalse();
        JobLiveness.IsLive(storage, Guid.NewGuid().ToString(), null, Now, since: Now.AddMinutes(-1)).ShouldBeFalse();
    }

    [Fact]
    public void AJobThatRanCountsOnlyIfItRanInThisProcessAndItsStepIsNotLongPast()
    {
        using var storage = new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid });
        var jobs = new BackgroundJobClient(storage);
        var ran = jobs.Enqueue(() => Console.WriteLine("wake"));
        jobs.ChangeState(ran, new SucceededState(null, 1, 1)).ShouldBeTrue();

        JobLiveness.IsLive(storage, ran, wokenUntil: Now.AddSeconds(10), Now, since: Now.AddMinutes(-1)).ShouldBeTrue();
        JobLiveness.IsLive(storage, ran, wokenUntil: Now.AddSeconds(-1), Now, since: Now.AddMinutes(-1)).ShouldBeFalse();
        JobLiveness.IsLive(storage, ran, wokenUntil: Now.AddSeconds(10), Now, since: Now.AddMinutes(1)).ShouldBeFalse();
    }

    [Fact]
    public void AJobTakenByAWorkerBeforeThisProcessStartedIsNotLive()
    {
        using var storage = new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid });
        var jobs = new BackgroundJobClient(storage);
        var running = jobs.Enqueue(() => Console.WriteLine("wake"));
        jobs.ChangeState(running, (IState)Activator.CreateInstance(typeof(ProcessingState), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public, null, ["host:1", "worker-1"], null)!).ShouldBeTrue();

        JobLiveness.IsLive(storage, running, null, Now, since: Now.AddMinutes(-1)).ShouldBeTrue();
        JobLiveness.IsLive(storage, running, null, Now, since: Now.AddMinutes(1)).ShouldBeFalse();
    }
}
