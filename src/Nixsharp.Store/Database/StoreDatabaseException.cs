// Failures of the store database, each saying which database and what to do about it. SQLite's own
// exceptions never leave this layer for situations one can expect (busy, corrupt, read-only, ...).
namespace Nixsharp.Store.Database;

public class StoreDatabaseException : Exception
{
    /// <summary>The database file concerned (db.sqlite).</summary>
    public string DbFile { get; }

    public StoreDatabaseException(string dbFile, string message, Exception? inner = null)
        : base(message, inner)
    {
        DbFile = dbFile;
    }
}

/// <summary>The db/schema file or the database itself is of a version this layer does not open.</summary>
public sealed class StoreSchemaException : StoreDatabaseException
{
    /// <summary>The version found in the schema file (0 when it is missing or unreadable).</summary>
    public int FoundVersion { get; }

    public StoreSchemaException(string dbFile, int foundVersion, string message)
        : base(dbFile, message)
    {
        FoundVersion = foundVersion;
    }
}

/// <summary>The path is not registered as valid.</summary>
public sealed class InvalidPathException : StoreDatabaseException
{
    public string StorePath { get; }

    public InvalidPathException(string dbFile, string storePath)
        : base(dbFile, $"path '{storePath}' is not valid (it is not registered in the store database '{dbFile}')")
    {
        StorePath = storePath;
    }
}

/// <summary>A path to be registered refers to a path that is neither valid nor in the same batch.</summary>
public sealed class MissingReferenceException : StoreDatabaseException
{
    public string Referrer { get; }
    public string Reference { get; }

    public MissingReferenceException(string dbFile, string referrer, string reference)
        : base(dbFile,
            $"cannot register path '{referrer}' in '{dbFile}': it refers to '{reference}', which is not valid " +
            "and not registered in the same batch; register that path first (nothing of this batch was registered)")
    {
        Referrer = referrer;
        Reference = reference;
    }
}

/// <summary>The path cannot be invalidated because other valid paths still refer to it.</summary>
public sealed class PathInUseException : StoreDatabaseException
{
    public string StorePath { get; }
    public IReadOnlyList<string> Referrers { get; }

    public PathInUseException(string dbFile, string storePath, IReadOnlyList<string> referrers)
        : base(dbFile,
            $"cannot invalidate path '{storePath}' in '{dbFile}': it is still referred to by " +
            string.Join(", ", referrers.Select(r => $"'{r}'")) + "; invalidate those paths first")
    {
        StorePath = storePath;
        Referrers = referrers;
    }
}
