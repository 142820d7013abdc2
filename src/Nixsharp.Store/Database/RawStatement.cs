// A statement prepared once on the connection and run through SQLite's C API directly, for the few
// statements every store write runs (is this path registered, insert it, its references, BEGIN and
// COMMIT). Going through SqliteCommand costs a reader, a record, binders and iterators per run:
// thousands of writes made that most of what instantiating allocates. Errors surface as the
// SqliteException SqliteCommand would throw, so busy retries and messages stay the same.
namespace Nixsharp.Store.Database;

using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(sqlite3 db, string sql)
    {
        _db = db;
        Check(raw.sqlite3_prepare_v2(db, sql, out _statement));
    }

    /// <summary>Binds parameter `index` (1-based); null binds NULL.</summary>
    public RawStatement Bind(int index, string? value)
    {
        if (value is null) Check(raw.sqlite3_bind_null(_statement, index));
        else if (value.Length == 0 || value.Length > MaxStackText) Check(raw.sqlite3_bind_text(_statement, index, value));
        else
        {
            // Store paths and hashes are encoded on the stack: the string overload allocates an
            // array per bind, and SQLite copies the text anyway (SQLITE_TRANSIENT). (An empty
            // span would bind NULL, hence the string overload for "".)
            Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxStackText)];
            int length = Encoding.UTF8.GetBytes(value, utf8);
            Check(raw.sqlite3_bind_text(_statement, index, utf8[..length]));
        }
        return this;
    }

    private const int MaxStackText = 300;

    public RawStatement Bind(int index, long? value)
    {
        Check(value is long v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Runs the statement to its first row: true if there is one (read it, then Reset).</summary>
    public bool Step()
    {
        int rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW) return true;
        if (rc == raw.SQLITE_DONE) return false;
        // The statement must be reset before the connection is used again, whatever happened.
        raw.sqlite3_reset(_statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>Ready for the next run: no row pending, no parameters bound.</summary>
    public void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
    }

    /// <summary>Runs a statement that returns no rows.</summary>
    public void Execute()
    {
        try { Step(); }
        finally { Reset(); }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose() => _statement.Dispose();
}
