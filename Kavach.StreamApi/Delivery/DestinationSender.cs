using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// One held destination's loop: its outbox first, then the log after its cursor, one message at a time and the next
/// only once the receiver accepted the previous — so each destination gets the log in order, and its cursor never
/// passes an event it did not get. The cursor moves in memory after each acceptance and is written to PostgreSQL
/// (fenced by the lease and the cursor it moves from) every <see cref="DeliveryOptions.CursorWriteEvery"/> deliveries,
/// <see cref="DeliveryOptions.CursorWriteAfter"/> after the first unwritten one, when idle, before a failure is recorded
/// and when stopping: a crash resends at most that much, under the same ids. Events it may not receive are passed over
/// (written with the next write). A failure waits out the <see cref="RetrySchedule"/>; a destination failing for the
/// whole horizon is paused, with a warning.
/// </summary>
public sealed class DestinationSender
{
    private const int OutboxBatch = 50;
    private const int PassedBeforeSaving = 1_000;
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastWriteTime = TimeSpan.FromSeconds(2);

    /// <summary>Less of the lease than this left: wait for its renewal rather than start an attempt it would cut short.</summary>
    private static readonly TimeSpan ShortestAttempt = TimeSpan.FromSeconds(1);

    private readonly IPushChannel _channel;
    private readonly DeliveryLog _log;
    private readonly DeliveryLeases _leases;
    private readonly DeliveryHttp _http;
    private readonly RetrySchedule _retries;
    private readonly DeliveryPulse _pulse;
    private readonly DeliveryMetrics _metrics;
    private readonly int _writeEvery;
    private readonly TimeSpan _writeAfter;
    private readonly Func<TimeSpan> _leaseLeft;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Destination _destination;
    private Destination? _offered;
    private StreamCursorAt _saved;
    private StreamCursorAt _cursor;
    private int _passed;
    private int _unwritten;
    private bool _writeOwed;
    private long _firstUnwrittenAt;
    private int _attempts;
    private DateTimeOffset? _failingSince;
    private DateTimeOffset? _nextAttemptAt;
    private volatile bool _outboxWaiting = true;
    private bool _failing;
    private long _pendingCommittedAtTicks;

    public DestinationSender(Destination destination, IPushChannel channel, DeliveryLog log, DeliveryLeases leases, DeliveryHttp http,
        RetrySchedule retries, DeliveryPulse pulse, DeliveryMetrics metrics, DeliveryOptions options, Func<TimeSpan> leaseLeft, TimeProvider time, ILogger logger)
    {
        _channel = channel;
        _log = log;
        _leases = leases;
        _http = http;
        _retries = retries;
        _pulse = pulse;
        _metrics = metrics;
        _writeEvery = options.CursorWriteEvery;
        _writeAfter = options.CursorWriteAfter;
        _leaseLeft = leaseLeft;
        _time = time;
        _logger = logger;
        _destination = destination;
        Adopt(destination);
    }

    public Guid Id => _destination.Id;

    /// <summary>When the row was last changed by an admin (the engine hands a newer row over).</summary>
    public DateTimeOffset KnownUpdatedAt => Volatile.Read(ref _destination).UpdatedAt;

    /// <summary>Events between the cursor (as delivered, written or not) and the hub's head.</summary>
    public long Lag => Math.Max(0, _log.Buffer.Head - _cursor.Sequence); // a long field's read is atomic

    /// <summary>When the event it is trying to deliver was committed; null when it is not trying any.</summary>
    public DateTimeOffset? PendingCommittedAt => Interlocked.Read(ref _pendingCommittedAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>The row as PostgreSQL now has it, changed by an admin (rewound, re-enabled, edited): taken up before the next message.</summary>
    public void Offer(Destination row)
    {
        Volatile.Write(ref _offered, row);
        _pulse.Fire();
    }

    /// <summary>Outbox messages are waiting (the engine looks for them for all its destinations at once).</summary>
    public void OutboxWaiting() => _outboxWaiting = true;

    /// <summary>Runs until stopped, the lease is lost or the destination is no longer enabled (then its lease is released).</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // One task that ends at stop, awaited alongside each wait (a delay per wait bound to the token would each stay registered on it).
        var stopped = Task.Delay(Timeout.Infinite, stopping);
        try
        {
            await LoopAsync(stopped, stopping);
        }
        finally
        {
            await WriteOnStopAsync();
        }
    }

    private async Task LoopAsync(Task stopped, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var wake = _pulse.Next;
            TimeSpan? wait;
            try
            {
                var step = await StepAsync(stopping);
                if (step.Stop)
                {
                    return;
                }

                wait = step.Wait;
                _failing = false;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // PostgreSQL unavailable, most likely: nothing moved, so the same step is tried again. Said once per run
                // of errors: a database outage would otherwise be a warning per destination per second.
                if (!_failing)
                {
                    _logger.LogWarning(e, "Delivery to {Destination} could not go on; trying again every {Pause}", _destination.Id, ErrorPause);
                    _failing = true;
                }

                wait = ErrorPause;
            }

            if (wait == Timeout.InfiniteTimeSpan)
            {
                await Task.WhenAny(wake, stopped);
            }
            else if (wait is { } delay)
            {
                // Every pulse ends the wait early (a retry an hour away is looked at again each second), so the timer is
                // cancelled, not left to run out: otherwise each failing destination would pile up an hour of timers.
                using var timerStop = new CancellationTokenSource();
                await Task.WhenAny(wake, stopped, Task.Delay(delay, _time, timerStop.Token));
                await timerStop.CancelAsync();
            }
        }
    }

    /// <summary>Best effort, before the engine releases the lease: deliveries not yet written would otherwise be sent again.</summary>
    private async Task WriteOnStopAsync()
    {
        if (_cursor == _saved)
        {
            return;
        }

        try
        {
            using var bounded = new CancellationTokenSource(LastWriteTime);
            if (await _leases.AdvanceAsync(_destination.Id, _saved, _cursor, _unwritten, bounded.Token))
            {
                _metrics.CursorWritten(_destination.Kind);
                _saved = _cursor;
                _unwritten = 0;
            }
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Could not write the cursor of destination {Destination} on stopping; its next holder sends the rest again", _destination.Id);
        }
    }

    private async Task<Step> StepAsync(CancellationToken stopping)
    {
        if (Interlocked.Exchange(ref _offered, null) is { } offered)
        {
            if (_cursor == _saved)
            {
                Adopt(offered);
            }
            else
            {
                // Deliveries not yet written go first (a rewind fails the fence and is read back); then the row as it is now.
                if (!await SaveIfMovedAsync(stopping))
                {
                    return Step.Stopped;
                }

                return await ReloadAsync(stopping);
            }
        }

        var destination = _destination;
        if (destination.State != DestinationState.Enabled || !destination.IsPushed)
        {
            await _leases.ReleaseAsync(destination.Id, stopping);
            return Step.Stopped;
        }

        // A write that failed (PostgreSQL unreachable) is owed before anything more is sent: a replica cut off from
        // PostgreSQL stops at the next write, so what a successor sends again stays bounded.
        if (_unwritten > 0 && (_writeOwed || _unwritten >= _writeEvery || _time.GetElapsedTime(_firstUnwrittenAt) >= _writeAfter
            || _leaseLeft() < ShortestAttempt))
        {
            return await SaveIfMovedAsync(stopping) ? Step.Continue : Step.Stopped;
        }

        var now = _time.GetUtcNow();
        if (_nextAttemptAt is { } due && due > now)
        {
            return Step.WaitFor(due - now);
        }

        if (_leaseLeft() < ShortestAttempt)
        {
            return Step.WaitFor(ErrorPause); // not renewed in time: sending now could overlap with the next holder
        }

        var buffer = _log.Buffer;
        if (_cursor.Epoch != buffer.Epoch)
        {
            return await FollowEpochAsync(buffer, stopping);
        }

        if (_outboxWaiting)
        {
            return await SendOutboxAsync(destination, stopping);
        }

        var read = await _log.NextAsync(_cursor.Sequence, stopping);
        if (read.NothingThrough is { } through)
        {
            _cursor = _cursor with { Sequence = through };
            return await PassedAsync(stopping);
        }

        if (read.Event is not { } next)
        {
            Interlocked.Exchange(ref _pendingCommittedAtTicks, 0);
            return await SaveIfMovedAsync(stopping) ? Step.Idle : Step.Stopped;
        }

        if (!destination.Allows(next.Type, next.AgentId, next.UserId)
            || await _log.StoredAsync(next, stopping) is not { } stored
            || !_channel.Wants(destination, stored))
        {
            _cursor = _cursor with { Sequence = next.Sequence };
            return await PassedAsync(stopping);
        }

        Interlocked.Exchange(ref _pendingCommittedAtTicks, next.CommittedAt.UtcTicks);
        var outcome = await SendAsync(destination, token => _channel.BuildAsync(destination, stored, token), stopping);
        if (!outcome.IsAccepted)
        {
            return await FailedAsync(destination, outcome, stopping);
        }

        // Written at the next step when due (count, age, lease), or when idle, failing or stopping.
        _cursor = _cursor with { Sequence = next.Sequence };
        if (_unwritten++ == 0)
        {
            _firstUnwrittenAt = _time.GetTimestamp();
        }

        ClearFailures();
        Interlocked.Exchange(ref _pendingCommittedAtTicks, 0);
        return Step.Continue;
    }

    private async Task<Step> SendOutboxAsync(Destination destination, CancellationToken stopping)
    {
        var messages = await _leases.ReadOutboxAsync(destination.Id, OutboxBatch, stopping);
        if (messages.Count < OutboxBatch)
        {
            _outboxWaiting = false; // set again by the engine should more come; the ones read are sent first
        }

        foreach (var message in messages)
        {
            var outcome = await SendAsync(destination, token => _channel.BuildAsync(destination, message, token), stopping);
            if (!outcome.IsAccepted)
            {
                _outboxWaiting = true;
                return await FailedAsync(destination, outcome, stopping);
            }

            if (!await _leases.CompleteOutboxAsync(message, stopping))
            {
                return await ReloadAsync(stopping);
            }

            ClearFailures();
        }

        return Step.Continue;
    }

    private async Task<SendOutcome> SendAsync(Destination destination, Func<CancellationToken, ValueTask<HttpRequestMessage>> build, CancellationToken stopping)
    {
        SendOutcome outcome;
        try
        {
            using var request = await build(stopping);
            outcome = await _http.SendAsync(request, _channel.Accepted, stopping, within: _leaseLeft());
        }
        catch (DeliveryNotReadyException e)
        {
            outcome = new SendOutcome(SendResult.Failed, e.Message, null, TimeSpan.Zero);
        }

        _metrics.Attempted(destination.Kind, outcome);
        return outcome;
    }

    private async Task<Step> FailedAsync(Destination destination, SendOutcome outcome, CancellationToken stopping)
    {
        if (!await SaveIfMovedAsync(stopping))
        {
            return Step.Stopped;
        }

        var now = _time.GetUtcNow();
        var attempts = _attempts + 1;
        var failingSince = _failingSince ?? now;
        var error = outcome.Error ?? "not accepted";
        string? pause = null;
        DateTimeOffset? next = now + _retries.Delay(attempts);
        if (_retries.HorizonReached(failingSince, now))
        {
            pause = $"retry horizon reached: failing since {failingSince:O} ({attempts} attempts); last error: {error}";
            next = null;
        }

        if (!await _leases.RecordFailureAsync(destination.Id, new FailureRun(attempts, failingSince, next), error, pause, stopping))
        {
            return await ReloadAsync(stopping);
        }

        _attempts = attempts;
        _failingSince = failingSince;
        _nextAttemptAt = next;
        if (pause is not null)
        {
            _metrics.PausedAtHorizon(destination.Kind);
            _logger.LogWarning("Delivery to {Kind} {Destination} ({Url}) paused: {Reason}. Resume it once the receiver is fixed; it goes on from its cursor.",
                DestinationStore.KindText(destination.Kind), destination.Id, destination.Url, pause);
            await _leases.ReleaseAsync(destination.Id, stopping);
            return Step.Stopped;
        }

        return Step.WaitFor(next!.Value - now);
    }

    private async Task<Step> FollowEpochAsync(FanOut.LiveBuffer buffer, CancellationToken stopping)
    {
        var shared = _log.SharedHistoryEnd(_cursor.Epoch, out var unknownEpoch);
        if (unknownEpoch && shared is null)
        {
            return Step.WaitFor(ErrorPause); // this replica has not seen the cursor's epoch yet
        }

        var to = new StreamCursorAt(buffer.Epoch, Math.Min(_cursor.Sequence, shared ?? buffer.StartsAfter));
        _logger.LogWarning("The stream's epoch moved on: destination {Destination} goes on after sequence {Sequence} of epoch {Epoch}",
            _destination.Id, to.Sequence, to.Epoch);
        if (!await _leases.AdvanceAsync(_destination.Id, _saved, to, _unwritten, stopping))
        {
            return await ReloadAsync(stopping);
        }

        _metrics.CursorWritten(_destination.Kind);
        _saved = _cursor = to;
        _passed = 0;
        _unwritten = 0;
        return Step.Continue;
    }

    private async Task<Step> PassedAsync(CancellationToken stopping)
    {
        // Passing over events needs no write each: should this replica die, they are only looked at again.
        if (++_passed < PassedBeforeSaving)
        {
            return Step.Continue;
        }

        return await SaveIfMovedAsync(stopping) ? Step.Continue : Step.Stopped;
    }

    /// <summary>Writes a cursor moved by deliveries or over passed events. False when the lease is lost.</summary>
    private async Task<bool> SaveIfMovedAsync(CancellationToken stopping)
    {
        if (_cursor == _saved)
        {
            return true;
        }

        _writeOwed = true;
        if (await _leases.AdvanceAsync(_destination.Id, _saved, _cursor, _unwritten, stopping))
        {
            _metrics.CursorWritten(_destination.Kind);
            _saved = _cursor;
            _passed = 0;
            _unwritten = 0;
            _writeOwed = false;
            return true;
        }

        return !(await ReloadAsync(stopping)).Stop;
    }

    /// <summary>An update matched nothing: the lease is gone, or an admin moved the cursor. Starts again from the row.</summary>
    private async Task<Step> ReloadAsync(CancellationToken stopping)
    {
        if (await _leases.ReadHeldAsync(_destination.Id, stopping) is not { } row)
        {
            _logger.LogInformation("Lost the lease of destination {Destination}: another replica sends to it now", _destination.Id);
            return Step.Stopped;
        }

        Adopt(row);
        return Step.Continue;
    }

    private void Adopt(Destination row)
    {
        Volatile.Write(ref _destination, row);
        _saved = _cursor = new StreamCursorAt(row.CursorEpoch, row.Cursor);
        _passed = 0;
        _unwritten = 0;
        _writeOwed = false;
        _attempts = row.Attempts;
        _failingSince = row.FailingSince;
        _nextAttemptAt = row.NextAttemptAt;
        _outboxWaiting = true;
    }

    private void ClearFailures()
    {
        _attempts = 0;
        _failingSince = null;
        _nextAttemptAt = null;
    }

    private readonly record struct Step(bool Stop, TimeSpan? Wait)
    {
        public static Step Continue => new(false, null);

        public static Step Idle => new(false, Timeout.InfiniteTimeSpan);

        public static Step Stopped => new(true, null);

        public static Step WaitFor(TimeSpan wait) => new(false, wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
    }
}
