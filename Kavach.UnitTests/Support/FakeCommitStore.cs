using System.Threading.Channels;
using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Persistence;

namespace Kavach.UnitTests.Support;

/// <summary>
/// <see cref="ICommitStore"/> that hands each group commit to the test, which answers it: committed (sequences given in
/// group order, as the statement gives them) or failed with an exception. What a later look-up finds is the test's too.
/// </summary>
internal sealed class FakeCommitStore : ICommitStore
{
    private long _last;

    public Channel<GroupCommit> Commits { get; } = Channel.CreateUnbounded<GroupCommit>();

    /// <summary>The answer to a look-up after an ambiguous commit (the ids asked, the token it may be cancelled with).</summary>
    public Func<IReadOnlyList<string>, CancellationToken, Task<List<(StoredEvent Event, string? EmittedBy)>>> Find { get; set; } =
        (_, _) => Task.FromResult(new List<(StoredEvent, string?)>());

    public async Task<GroupCommit> NextAsync(TimeSpan bound) => await Commits.Reader.ReadAsync().AsTask().WaitAsync(bound);

    public Task<(IReadOnlyList<AppendResult> Results, CommitTiming Timing)> AppendAsync(
        IReadOnlyList<EmitBatch> group, StreamPosition delivered, TimeSpan revocationKeep, CancellationToken cancellationToken)
    {
        var commit = new GroupCommit(this, group, delivered);
        Commits.Writer.TryWrite(commit);
        return commit.Answer.Task;
    }

    public Task<List<(StoredEvent Event, string? EmittedBy)>> FindCommittedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        Find(ids, cancellationToken);

    public static StoredEvent Stored(long sequence, ValidatedEvent e) =>
        new(sequence, e.Id, e.Type, e.AgentId, e.UserId, e.Timestamp, DateTimeOffset.UnixEpoch, e.Body);

    /// <summary>One call of the group commit, waiting for the test's answer.</summary>
    internal sealed class GroupCommit(FakeCommitStore store, IReadOnlyList<EmitBatch> group, StreamPosition delivered)
    {
        public IReadOnlyList<EmitBatch> Group { get; } = group;

        public StreamPosition Delivered { get; } = delivered;

        public TaskCompletionSource<(IReadOnlyList<AppendResult>, CommitTiming)> Answer { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The number of events of each emit, in group order.</summary>
        public int[] Sizes => [.. Group.Select(b => b.Events.Count)];

        public void Commit()
        {
            var results = Group.Select(b =>
            {
                var stored = b.Events.Select(e => Stored(++store._last, e)).ToList();
                return new AppendResult([.. stored.Select(s => new EmittedEvent(s.Id, s.Sequence, s.Timestamp))], stored, 1, []);
            }).ToList();
            Answer.TrySetResult((results, new CommitTiming(results.Sum(r => r.Committed.Count), TimeSpan.Zero, TimeSpan.Zero)));
        }

        public void Fail(Exception e) => Answer.TrySetException(e);
    }
}
