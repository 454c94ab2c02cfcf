using Freshet.Engine.Storage;

namespace Freshet.Engine.Log;

/// <summary>The writer thread: group commit, syncing by policy, and rolling to a new segment.</summary>
internal sealed partial class EventLog
{
    /// <summary>How often, at most, the writer checks that the active segment still exists (a deleted directory).</summary>
    private const long ExistsCheckIntervalMs = 1000;

    private void RunWriter()
    {
        while (true)
        {
            long end;
            long maxTime;
            bool stopping;
            lock (_gate)
            {
                while (_pending.Length == 0 && !_stopping && _syncRequested <= _syncedEnd && !IntervalSyncDue())
                {
                    Monitor.Wait(_gate, WaitMs());
                }

                if (_failure is not null || _abandoned)
                {
                    return;
                }

                (_pending, _writing) = (_writing, _pending);
                end = _appendedEnd;
                maxTime = _pendingMaxTimeMs;
                _pendingMaxTimeMs = long.MinValue; // The next buffer's own newest time.
                stopping = _stopping;
                Monitor.PulseAll(_gate); // Appenders waiting for room.
            }

            string doing = "write the event log segment";
            string path = _directory;
            try
            {
                if (_writing.Length > 0)
                {
                    if (_activeBytes >= _options.SegmentBytes)
                    {
                        doing = "start a new event log segment in";
                        Roll(_writtenEnd);
                    }

                    var segment = ActiveSegment();
                    path = segment.Path;
                    doing = "write the event log segment";
                    CheckActiveExists(segment);
                    if (_options.MidWriteHook is { } midWrite && _writing.Length > 1)
                    {
                        // Tests only: half a group commit on disk, as a kill in the middle of this write leaves it.
                        _active!.Write(_writing.Written[..(_writing.Length / 2)]);
                        midWrite();
                        _active.Write(_writing.Written[(_writing.Length / 2)..]);
                    }
                    else
                    {
                        _active!.Write(_writing.Written);
                    }

                    _activeBytes += _writing.Length;
                    lock (_segmentsLock)
                    {
                        segment.Bytes = _activeBytes;
                        segment.LastWriteMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
                        segment.MaxEventTimeMs = Math.Max(segment.MaxEventTimeMs, maxTime);
                    }

                    _writing.Clear();
                    _writing.Shrink(1 << 20);
                }

                long synced = Interlocked.Read(ref _syncedEnd);
                bool sync = synced < end && (_options.Durability == Durability.Always || _syncRequested > synced || stopping || IntervalSyncDue());
                if (sync)
                {
                    doing = "sync the event log segment";
                    path = ActiveSegment().Path;
                    _active!.Flush(flushToDisk: true);
                    _lastSyncTicks = Environment.TickCount64;
                }

                lock (_gate)
                {
                    _writtenEnd = end;
                    if (sync)
                    {
                        Interlocked.Exchange(ref _syncedEnd, end);
                    }

                    CompleteWaiters();
                    SignalVisible();
                    if (stopping && _pending.Length == 0)
                    {
                        return;
                    }
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                TruncateAfterFailedWrite();
                Fail(error, doing, path);
                return;
            }
        }
    }

    private bool IntervalSyncDue() =>
        _options.Durability == Durability.Interval && _writtenEnd > Interlocked.Read(ref _syncedEnd)
        && Environment.TickCount64 - _lastSyncTicks >= (long)_options.FsyncInterval.TotalMilliseconds;

    private int WaitMs() => _options.Durability == Durability.Interval && _writtenEnd > Interlocked.Read(ref _syncedEnd)
        ? (int)Math.Max(1, (long)_options.FsyncInterval.TotalMilliseconds - (Environment.TickCount64 - _lastSyncTicks))
        : 1000;

    private SegmentInfo ActiveSegment()
    {
        lock (_segmentsLock)
        {
            return _segments[^1];
        }
    }

    /// <summary>
    /// A deleted data directory does not stop writes to files already open (they are unlinked, not closed): check now
    /// and then that the active segment still has its name, so such writes are refused instead of silently lost.
    /// </summary>
    private void CheckActiveExists(SegmentInfo segment)
    {
        long now = Environment.TickCount64;
        if (now - _lastExistsCheckTicks < ExistsCheckIntervalMs && _options.Durability != Durability.Always)
        {
            return;
        }

        _lastExistsCheckTicks = now;
        if (!File.Exists(segment.Path))
        {
            throw new StorageException(StorageProblem.Missing,
                $"the event log segment {segment.Path} is gone (was the data directory deleted or unmounted?); nothing more is accepted; restart once the directory is back");
        }
    }

    /// <summary>Closes the active segment (synced) and starts a new one whose first event is <paramref name="firstOffset"/>.</summary>
    private void Roll(long firstOffset)
    {
        _active!.Flush(flushToDisk: true);
        _active.Dispose();
        _active = null;
        Interlocked.Exchange(ref _syncedEnd, _writtenEnd);
        _options.FaultPoint?.Invoke("log-roll");
        var segment = new SegmentInfo(firstOffset, Path.Combine(_directory, LogSegment.FileName(firstOffset)));
        _active = CreateSegmentFile(segment.Path, firstOffset);
        _activeBytes = LogSegment.HeaderSize;
        segment.Bytes = _activeBytes;
        segment.LastWriteMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_segmentsLock)
        {
            _segments.Add(segment);
        }
    }

    /// <summary>Creates a segment file with its header, synced, and its directory entry synced.</summary>
    private static FileStream CreateSegmentFile(string path, long firstOffset)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 1);
        try
        {
            Span<byte> header = stackalloc byte[LogSegment.HeaderSize];
            LogSegment.WriteHeader(header, firstOffset);
            file.Write(header);
            file.Flush(flushToDisk: true);
            DurableFiles.SyncDirectory(Path.GetDirectoryName(path)!);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Best effort: cut a half-written group commit off the active segment so the file ends on a record.</summary>
    private void TruncateAfterFailedWrite()
    {
        try
        {
            if (_active is not null && _active.Length > _activeBytes)
            {
                _active.SetLength(_activeBytes);
            }
        }
        catch (IOException)
        {
            // Recovery cuts a torn tail anyway.
        }
    }
}
