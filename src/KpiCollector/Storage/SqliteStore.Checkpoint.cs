using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

/// <summary>
/// WAL checkpoints off the commit path. By default SQLite checkpoints inside the commit that takes the write-ahead log
/// past 1,000 pages: that commit copies the log into the database file and syncs both, and with the drill-down's
/// indexes a page of 1,000 conversations dirties about that many pages, so nearly every page commit paid for a
/// checkpoint. Here the writer's automatic checkpoint is only a backstop (<see cref="BackstopCheckpointPages"/>) and a
/// background thread, on its own connection, runs a passive checkpoint after page commits, at most one every
/// <see cref="CheckpointInterval"/> (the commits in between give one checkpoint: a page the commits keep dirtying, such
/// as the last leaf of an index, is copied once, not once per commit). A passive checkpoint never waits for readers or
/// the writer. Durability does not depend
/// on checkpoints: a commit is complete once its frames are in the log (see docs/performance.md, "Apply rate").
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>The writer checkpoints by itself only if the log reaches this many pages (about 32 MiB of 4 KiB pages).</summary>
    private const int BackstopCheckpointPages = 8192;

    /// <summary>The shortest time between two checkpoints (docs/performance.md, "Apply rate").</summary>
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(250);

    private AutoResetEvent? _checkpointWanted;
    private ManualResetEventSlim? _checkpointerStop;
    private Thread? _checkpointer;
    private volatile bool _checkpointerStopping;

    private void StartCheckpointer(SqliteConnection writer)
    {
        Execute(writer, $"PRAGMA wal_autocheckpoint = {BackstopCheckpointPages};");
        _checkpointerStopping = false;
        _checkpointWanted = new AutoResetEvent(false);
        _checkpointerStop = new ManualResetEventSlim();
        var (wanted, stop) = (_checkpointWanted, _checkpointerStop);
        _checkpointer = new Thread(() => Checkpoints(wanted, stop)) { IsBackground = true, Name = "store checkpoints" };
        _checkpointer.Start();
    }

    /// <summary>Asks for a checkpoint after a commit; cheap, never blocks (requests while one runs are merged).</summary>
    private void RequestCheckpoint() => _checkpointWanted?.Set();

    private void StopCheckpointer()
    {
        if (_checkpointer is null)
        {
            return;
        }

        _checkpointerStopping = true;
        _checkpointerStop!.Set();
        _checkpointWanted!.Set();
        _checkpointer.Join();
        _checkpointWanted.Dispose();
        _checkpointWanted = null;
        _checkpointerStop.Dispose();
        _checkpointerStop = null;
        _checkpointer = null;
    }

    private void Checkpoints(AutoResetEvent wanted, ManualResetEventSlim stop)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        while (true)
        {
            wanted.WaitOne();
            if (_checkpointerStopping)
            {
                return;
            }

            try
            {
                if (connection.State != System.Data.ConnectionState.Open)
                {
                    connection.Open();
                }

                Execute(connection, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (SqliteException ex)
            {
                // The writer's backstop checkpoint still bounds the log; try again after the next commit.
                Log.CheckpointFailed(_logger, _path, ex.SqliteErrorCode, ex.Message);
            }

            // The commits of the next interval are checkpointed together (a stop ends the wait at once).
            stop.Wait(CheckpointInterval);
        }
    }
}
