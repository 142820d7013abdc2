// The local store's SQLite database (db.sqlite, Nix 2.8's schema 10): which paths are valid, what
// they refer to and which derivation outputs they are. Real Nix and nixsharp can use the same
// database at the same time, so it is opened as Nix opens it (write-ahead log, foreign keys,
// "normal" syncing, a long busy timeout) and every operation is retried while another process holds
// the database. One instance is one connection; its methods may be called from several threads.
namespace Nixsharp.Store.Database;

using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Nixsharp.Store.Local;

public sealed class StoreDatabase : IDisposable
{
    // Nix waits this long for a busy database before giving up (sqlite3_busy_timeout in Nix).
    private static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromHours(1);

    // SQLite primary result codes that this layer reacts to.
    private const int SqliteError = 1, SqlitePerm = 3, SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8,
        SqliteIoErr = 10, SqliteCorrupt = 11, SqliteFull = 13, SqliteCantOpen = 14, SqliteProtocol = 15,
        SqliteAuth = 23, SqliteNotADb = 26;

    private readonly SqliteConnection _connection;
    private readonly TimeSpan _busyTimeout;
    private readonly Lock _gate = new();
    private bool _disposed;

    public StoreLayout Layout { get; }
    public string DbFile => Layout.DbFile;

    /// <summary>Opens the store database of `layout`, creating it (and its directory) when the store is
    /// new. Refuses databases of another schema version than 10.</summary>
    /// <param name="busyTimeout">How long to keep retrying while other processes hold the database
    /// (default one hour, as Nix).</param>
    public StoreDatabase(StoreLayout layout, TimeSpan? busyTimeout = null)
    {
        Layout = layout;
        _busyTimeout = busyTimeout ?? DefaultBusyTimeout;

        CreateDbDir();
        int version = ReadSchemaVersion();
        bool isNew = version == 0;
        if (!isNew) CheckExistingDatabase(version);

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DbFile,
            // Like Nix, only a new store may create db.sqlite: a schema file without a database is an error.
            Mode = isNew ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            // A pooled connection would stay open after Dispose, holding the database's files.
            Pooling = false,
            // Microsoft.Data.Sqlite retries a busy statement for this many seconds after SQLite's own
            // busy wait gave up; keep it short, WithRetry does the long retrying (bounded by busyTimeout).
            DefaultTimeout = 1,
        }.ToString();
        _connection = new SqliteConnection(connectionString);
        try
        {
            WithRetry("opening the database", () =>
            {
                if (_connection.State != System.Data.ConnectionState.Open) _connection.Open();
                // SQLite quietly opens a file it may not write read-only, which would only fail at the
                // first write. (Probing the file with an open of our own instead would be unsafe: closing
                // any descriptor of the file drops the POSIX locks SQLite holds on it in this process.)
                if (SQLitePCL.raw.sqlite3_db_readonly(_connection.Handle, "main") == 1)
                    throw new StoreDatabaseException(DbFile, NotWritableMessage());
                ApplyPragmas();
                if (isNew) CreateSchema();
                else ProbeSchema();
                return 0;
            });
            if (isNew) WriteSchemaFile();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var cmd in _statements.Values) cmd.Dispose();
            _statements.Clear();
            foreach (var statement in _rawStatements.Values) statement.Dispose();
            _rawStatements.Clear();
            _connection.Dispose();
        }
    }

    // ---- Opening ----

    private void CreateDbDir()
    {
        try
        {
            Directory.CreateDirectory(Layout.DbDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreDatabaseException(DbFile,
                $"cannot create the store database directory '{Layout.DbDir}': {e.Message}; " +
                $"check that this user may write to '{Layout.StateDir}'", e);
        }
    }

    /// <summary>The version in db/schema; 0 when the file is missing (a new store), as in Nix.</summary>
    private int ReadSchemaVersion()
    {
        string text;
        try
        {
            if (!File.Exists(Layout.SchemaFile)) return 0;
            text = File.ReadAllText(Layout.SchemaFile);
            // Nix writes the file in place (truncate, then write), so a store that Nix is creating
            // right now can show an empty schema file for a moment.
            for (int attempt = 0; text.Length == 0 && attempt < 20; attempt++)
            {
                Thread.Sleep(50);
                text = File.ReadAllText(Layout.SchemaFile);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreDatabaseException(DbFile, $"cannot read the store schema file '{Layout.SchemaFile}': {e.Message}", e);
        }
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int version) || version < 0)
            throw new StoreSchemaException(DbFile, 0,
                $"the store schema file '{Layout.SchemaFile}' is corrupt: it holds '{text.Trim()}' rather than a version " +
                $"number; if '{DbFile}' was made by Nix 2.8, write {StoreSchema.Version} into it");
        return version;
    }

    private void CheckExistingDatabase(int version)
    {
        if (version > StoreSchema.Version)
            throw new StoreSchemaException(DbFile, version,
                $"the store database '{DbFile}' has schema version {version} (says '{Layout.SchemaFile}'), but nixsharp " +
                $"only supports version {StoreSchema.Version}, Nix 2.8's: a newer Nix created or upgraded it. " +
                "Use that newer Nix with this store, or point nixsharp at another store");
        if (version < StoreSchema.Version)
            throw new StoreSchemaException(DbFile, version,
                $"the store database '{DbFile}' has schema version {version} (says '{Layout.SchemaFile}'), older than " +
                $"version {StoreSchema.Version} that nixsharp supports, and nixsharp does not upgrade databases. " +
                "Upgrade it by running Nix 2.8 on the store once as its owner, e.g. 'nix-store --verify' " +
                "(with '--store <root>' for a chroot store); versions below 7 first need an older Nix");
        if (!File.Exists(DbFile))
            throw new StoreDatabaseException(DbFile,
                $"the store database '{DbFile}' is missing although '{Layout.SchemaFile}' says the store has one; " +
                $"restore it from a backup, or remove '{Layout.SchemaFile}' to start with an empty database");
    }

    private void ApplyPragmas()
    {
        Execute($"pragma busy_timeout = {(long)Math.Min(_busyTimeout.TotalMilliseconds, int.MaxValue)}");
        Execute("pragma foreign_keys = 1");
        // Nix's default (fsync-metadata = true): safe against crashes, fewer fsyncs than "full".
        Execute("pragma synchronous = normal");
        // Switching the journal mode takes a lock, so only do it when needed, as Nix does.
        var mode = (string?)Scalar("pragma main.journal_mode");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            mode = (string?)Scalar("pragma main.journal_mode = wal");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new StoreDatabaseException(DbFile,
                    $"cannot switch the store database '{DbFile}' to write-ahead logging (it stays in '{mode}' mode); " +
                    "is the file system one that SQLite's WAL mode supports (not NFS)?");
        }
        // Nix checkpoints rarely so that registering a big closure costs one fsync.
        Execute("pragma wal_autocheckpoint = 40000");
    }

    private void CreateSchema()
    {
        using var transaction = Begin(deferred: false);
        Execute(StoreSchema.Sql);
        transaction.Commit();
    }

    private void ProbeSchema()
    {
        try
        {
            Execute(StoreSchema.ProbeSql);
        }
        catch (SqliteException e) when ((e.SqliteErrorCode & 0xff) == SqliteError)
        {
            throw new StoreSchemaException(DbFile, StoreSchema.Version,
                $"the store database '{DbFile}' lacks the tables or columns of Nix's schema {StoreSchema.Version} " +
                $"({e.Message.TrimEnd('.')}) although '{Layout.SchemaFile}' says {StoreSchema.Version}; it is not a Nix store " +
                "database or it is damaged: restore it from a backup");
        }
    }

    private void WriteSchemaFile()
    {
        // Written beside and renamed into place, so that a process opening the store at the same
        // time reads either no file (a new store) or the whole number, never an empty file.
        var temp = $"{Layout.SchemaFile}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(temp, StoreSchema.Version.ToString(CultureInfo.InvariantCulture));
            File.Move(temp, Layout.SchemaFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (Exception) { /* best effort */ }
            throw new StoreDatabaseException(DbFile, $"cannot write the store schema file '{Layout.SchemaFile}': {e.Message}", e);
        }
    }

    // ---- Queries ----

    public bool IsValidPath(string path) =>
        ReadOneStatement("checking whether a path is valid", () => QueryPathId(path) is not null);

    /// <summary>The path's row and references; null if it is not valid.</summary>
    public ValidPathInfo? QueryPathInfo(string path) => ReadOneStatement("querying path info", () =>
    {
        // The row and its references in one statement, so that one snapshot answers both without
        // the cost of an explicit transaction (this is the store's most frequent query).
        var cmd = Command(
            "select v.hash, v.registrationTime, v.deriver, v.narSize, v.ultimate, v.sigs, v.ca, r.path from ValidPaths v " +
            "left join Refs on Refs.referrer = v.id left join ValidPaths r on r.id = Refs.reference where v.path = $path",
            ("$path", path));
        using var reader = cmd.ExecuteReader();
        if (!reader.Read()) return null;
        var storedHash = reader.GetString(0);
        var narHash = StorePathText.NormaliseHash(storedHash)
            ?? throw new StoreDatabaseException(DbFile,
                $"the store database '{DbFile}' holds an unreadable hash '{storedHash}' for path '{path}'; " +
                $"repair it with 'nix-store --verify --check-contents --repair'");
        var info = new ValidPathInfo
        {
            Path = path,
            NarHash = narHash,
            RegistrationTime = reader.GetInt64(1),
            Deriver = reader.IsDBNull(2) ? null : reader.GetString(2),
            NarSize = reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
            Ultimate = !reader.IsDBNull(4) && reader.GetInt64(4) == 1,
            Signatures = reader.IsDBNull(5) ? [] : ValidPathInfo.PathSet(SplitSignatures(reader.GetString(5))),
            ContentAddress = reader.IsDBNull(6) ? null : reader.GetString(6),
        };
        if (reader.IsDBNull(7)) return info;
        var references = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        do references.Add(reader.GetString(7)); while (reader.Read());
        return info with { References = references.ToImmutable() };
    });

    /// <summary>The paths `path` refers to. Throws <see cref="InvalidPathException"/> if it is not valid.</summary>
    public ImmutableSortedSet<string> QueryReferences(string path) => Read("querying references", () =>
        ReferencesOf(QueryPathId(path) ?? throw new InvalidPathException(DbFile, path)));

    /// <summary>The valid paths that refer to `path` (including itself if it refers to itself).</summary>
    public ImmutableSortedSet<string> QueryReferrers(string path) => ReadOneStatement("querying referrers", () =>
        Paths("select path from Refs join ValidPaths on referrer = id where reference = (select id from ValidPaths where path = $path)",
            ("$path", path)));

    /// <summary>The valid derivations that name `path` as one of their outputs.</summary>
    public ImmutableSortedSet<string> QueryValidDerivers(string path) => ReadOneStatement("querying derivers", () =>
        Paths("select v.path from DerivationOutputs d join ValidPaths v on d.drv = v.id where d.path = $path",
            ("$path", path)));

    /// <summary>Output name → output path of a valid derivation, as registered. Throws
    /// <see cref="InvalidPathException"/> if the derivation is not valid.</summary>
    public IReadOnlyDictionary<string, string> QueryDerivationOutputs(string drvPath) => Read("querying derivation outputs", () =>
    {
        long id = QueryPathId(drvPath) ?? throw new InvalidPathException(DbFile, drvPath);
        var cmd = Command("select id, path from DerivationOutputs where drv = $drv", ("$drv", id));
        using var reader = cmd.ExecuteReader();
        var outputs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read()) outputs[reader.GetString(0)] = reader.GetString(1);
        return (IReadOnlyDictionary<string, string>)outputs;
    });

    /// <summary>The valid path whose hash part is `hashPart` (32 base-32 characters), or null.</summary>
    public string? QueryPathFromHashPart(string hashPart)
    {
        if (!StorePathText.IsHashPart(hashPart))
            throw new ArgumentException($"'{hashPart}' is not the hash part of a store path (32 base-32 characters)", nameof(hashPart));
        var prefix = Layout.StoreDir + "/" + hashPart;
        return ReadOneStatement("looking up a path by hash", () =>
        {
            // The first path at or after the prefix, found through the index on path, as Nix does.
            var cmd = Command("select path from ValidPaths where path >= $prefix order by path limit 1", ("$prefix", prefix));
            var found = cmd.ExecuteScalar() as string;
            return found is not null && found.StartsWith(prefix, StringComparison.Ordinal) ? found : null;
        });
    }

    public ImmutableSortedSet<string> QueryAllValidPaths() =>
        ReadOneStatement("listing valid paths", () => Paths("select path from ValidPaths"));

    // ---- Changes ----

    /// <summary>Registers the paths as valid in one transaction: all or nothing. New paths get a row,
    /// already valid ones have their hash, size, ultimate flag, signatures and content address updated
    /// (their registration time and deriver stay, as in Nix). References may point into the batch, in
    /// any order, or to valid paths; references are only ever added. `derivationOutputs` gives, for
    /// .drv paths of the batch, output name → output path.</summary>
    public void RegisterValidPaths(IReadOnlyList<ValidPathInfo> infos,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? derivationOutputs = null)
    {
        var batch = CheckBatch(infos, derivationOutputs);
        CheckNoCycles(infos, batch);
        Write("registering valid paths", () =>
        {
            using var transaction = Begin(deferred: false);
            var ids = new Dictionary<string, long>(StringComparer.Ordinal);
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

            var insert = Raw(
                "insert into ValidPaths (path, hash, registrationTime, deriver, narSize, ultimate, sigs, ca) " +
                "values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) returning id");
            var update = UpdateCommand();
            foreach (var info in infos)
            {
                if (QueryPathId(info.Path) is long existing)
                {
                    BindUpdate(update, info);
                    update.ExecuteNonQuery();
                    ids[info.Path] = existing;
                }
                else
                {
                    insert.Bind(1, info.Path).Bind(2, info.NarHash)
                        .Bind(3, info.RegistrationTime == 0 ? now : info.RegistrationTime).Bind(4, info.Deriver)
                        .Bind(5, info.NarSize == 0 ? null : info.NarSize).Bind(6, info.Ultimate ? 1L : null)
                        .Bind(7, info.Signatures.IsEmpty ? null : string.Join(' ', info.Signatures)).Bind(8, info.ContentAddress);
                    try
                    {
                        if (!insert.Step()) throw new StoreDatabaseException(DbFile, $"registering '{info.Path}' returned no row id");
                        ids[info.Path] = insert.Int64(0);
                    }
                    finally { insert.Reset(); }
                }
            }

            var addReference = Raw("insert or replace into Refs (referrer, reference) values (?1, ?2)");
            foreach (var info in infos)
            {
                foreach (var reference in info.References)
                {
                    if (!ids.TryGetValue(reference, out long referenceId))
                    {
                        referenceId = QueryPathId(reference) ?? throw new MissingReferenceException(DbFile, info.Path, reference);
                        ids[reference] = referenceId;
                    }
                    addReference.Bind(1, ids[info.Path]).Bind(2, referenceId).Execute();
                }
            }

            if (derivationOutputs is not null)
            {
                var addOutput = Raw("insert or replace into DerivationOutputs (drv, id, path) values (?1, ?2, ?3)");
                foreach (var (drvPath, outputs) in derivationOutputs)
                {
                    foreach (var (name, outputPath) in outputs)
                    {
                        addOutput.Bind(1, ids[drvPath]).Bind(2, name).Bind(3, outputPath).Execute();
                    }
                }
            }
            transaction.Commit();
        });
    }

    public void RegisterValidPath(ValidPathInfo info, IReadOnlyDictionary<string, string>? derivationOutputs = null) =>
        RegisterValidPaths([info], derivationOutputs is null
            ? null
            : new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal) { [info.Path] = derivationOutputs });

    /// <summary>Rewrites the hash, size, ultimate flag, signatures and content address of a valid
    /// path (not its references, deriver or registration time), as Nix's updatePathInfo.</summary>
    public void UpdatePathInfo(ValidPathInfo info)
    {
        CheckInfo(info);
        Write("updating path info", () =>
        {
            using var transaction = Begin(deferred: false);
            var update = UpdateCommand();
            BindUpdate(update, info);
            if (update.ExecuteNonQuery() == 0) throw new InvalidPathException(DbFile, info.Path);
            transaction.Commit();
        });
    }

    /// <summary>Adds signatures to a valid path's set.</summary>
    public void AddSignatures(string path, IEnumerable<string> signatures)
    {
        var added = signatures.ToList();
        foreach (var s in added) CheckSignature(path, s);
        Write("adding signatures", () =>
        {
            using var transaction = Begin(deferred: false);
            var select = Command("select sigs from ValidPaths where path = $path", ("$path", path));
            var current = select.ExecuteScalar();
            if (current is null) throw new InvalidPathException(DbFile, path);
            var all = ValidPathInfo.PathSet(SplitSignatures(current as string ?? "")).Union(added);
            var update = Command("update ValidPaths set sigs = $sigs where path = $path",
                ("$sigs", all.IsEmpty ? null : string.Join(' ', all)), ("$path", path));
            update.ExecuteNonQuery();
            transaction.Commit();
        });
    }

    /// <summary>Removes a valid path with its references and derivation outputs. Refuses with
    /// <see cref="PathInUseException"/> while other valid paths refer to it. False if it was not valid.</summary>
    public bool InvalidatePath(string path) => Write("invalidating a path", () =>
    {
        using var transaction = Begin(deferred: false);
        if (QueryPathId(path) is not long id) return false;
        var referrers = Paths("select path from Refs join ValidPaths on referrer = id where reference = $id and referrer != $id",
            ("$id", id));
        if (!referrers.IsEmpty) throw new PathInUseException(DbFile, path, referrers);
        var delete = Command("delete from ValidPaths where id = $id", ("$id", id));
        delete.ExecuteNonQuery();
        transaction.Commit();
        return true;
    });

    // ---- Checks on what is registered ----

    /// <summary>The batch's paths; throws ArgumentException on anything malformed, before any change.</summary>
    private HashSet<string> CheckBatch(IReadOnlyList<ValidPathInfo> infos,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? derivationOutputs)
    {
        var batch = new HashSet<string>(StringComparer.Ordinal);
        foreach (var info in infos)
        {
            CheckInfo(info);
            if (!batch.Add(info.Path))
                throw new ArgumentException($"path '{info.Path}' appears twice in the batch to register", nameof(infos));
        }
        if (derivationOutputs is null) return batch;
        foreach (var (drvPath, outputs) in derivationOutputs)
        {
            if (!batch.Contains(drvPath) || !StorePathText.IsDerivation(drvPath))
                throw new ArgumentException($"derivation outputs are given for '{drvPath}', which is not a .drv path of the batch", nameof(derivationOutputs));
            foreach (var (name, outputPath) in outputs)
            {
                if (name.Length == 0)
                    throw new ArgumentException($"derivation '{drvPath}' has an output with an empty name", nameof(derivationOutputs));
                if (!StorePathText.IsStorePath(Layout.StoreDir, outputPath))
                    throw new ArgumentException($"output '{name}' of '{drvPath}' is '{outputPath}', not a path in '{Layout.StoreDir}'", nameof(derivationOutputs));
            }
        }
        return batch;
    }

    private void CheckInfo(ValidPathInfo info)
    {
        var storeDir = Layout.StoreDir;
        if (!StorePathText.IsStorePath(storeDir, info.Path))
            throw new ArgumentException($"'{info.Path}' is not a store path in '{storeDir}'", nameof(info));
        if (!StorePathText.IsCanonicalNarHash(info.NarHash))
            throw new ArgumentException(
                $"the NAR hash of '{info.Path}' is '{info.NarHash}'; it must be SHA-256 written as \"sha256:\" and 64 lower-case base-16 digits",
                nameof(info));
        if (info.NarSize < 0)
            throw new ArgumentException($"the NAR size of '{info.Path}' is negative", nameof(info));
        if (info.RegistrationTime < 0)
            throw new ArgumentException($"the registration time of '{info.Path}' is negative", nameof(info));
        if (info.Deriver is not null && !StorePathText.IsStorePath(storeDir, info.Deriver))
            throw new ArgumentException($"the deriver of '{info.Path}', '{info.Deriver}', is not a store path in '{storeDir}'", nameof(info));
        foreach (var reference in info.References)
            if (!StorePathText.IsStorePath(storeDir, reference))
                throw new ArgumentException($"'{info.Path}' refers to '{reference}', which is not a store path in '{storeDir}'", nameof(info));
        foreach (var signature in info.Signatures) CheckSignature(info.Path, signature);
        // Nix refuses a path that claims a content address it does not have.
        if (info.ContentAddress is { } ca
            && StorePathText.PathFromContentAddress(storeDir, ca, info.Path, info.References) != info.Path)
            throw new ArgumentException(
                $"path '{info.Path}' claims to be content-addressed ('{ca}') but is not: with its references that content address gives another path or none",
                nameof(info));
    }

    private static void CheckSignature(string path, string signature)
    {
        // The column separates signatures by spaces, so a signature cannot hold one.
        if (signature.Length == 0 || signature.Any(char.IsWhiteSpace))
            throw new ArgumentException($"signature '{signature}' of '{path}' is empty or contains white space", nameof(signature));
    }

    /// <summary>Nix refuses a batch whose references form a cycle (other than self-references).</summary>
    private void CheckNoCycles(IReadOnlyList<ValidPathInfo> infos, HashSet<string> batch)
    {
        // A single path can only refer to itself, which is allowed (most writes register one path).
        if (infos.Count < 2) return;
        var referencesOf = infos.ToDictionary(i => i.Path, i => i.References, StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        // Depth-first without recursion: a long chain of paths must not exhaust the stack.
        foreach (var start in infos.Select(i => i.Path))
        {
            if (done.Contains(start)) continue;
            var stack = new Stack<(string Path, IEnumerator<string> Children)>();
            stack.Push((start, referencesOf[start].GetEnumerator()));
            onStack.Add(start);
            while (stack.Count > 0)
            {
                var (path, children) = stack.Peek();
                if (children.MoveNext())
                {
                    var child = children.Current;
                    if (child == path || !batch.Contains(child) || done.Contains(child)) continue;
                    if (onStack.Contains(child))
                        throw new StoreDatabaseException(DbFile,
                            $"cannot register paths in '{DbFile}': cycle detected in the references of '{child}' from '{path}'; nothing was registered");
                    onStack.Add(child);
                    stack.Push((child, referencesOf[child].GetEnumerator()));
                }
                else
                {
                    stack.Pop();
                    onStack.Remove(path);
                    done.Add(path);
                }
            }
        }
    }

    // ---- SQL helpers (called with _gate held) ----

    private SqliteCommand UpdateCommand() => Command(
        "update ValidPaths set narSize = $narSize, hash = $hash, ultimate = $ultimate, sigs = $sigs, ca = $ca where path = $path",
        ("$narSize", null), ("$hash", null), ("$ultimate", null), ("$sigs", null), ("$ca", null), ("$path", null));

    private static void BindUpdate(SqliteCommand update, ValidPathInfo info)
    {
        Bind(update, "$path", info.Path);
        Bind(update, "$hash", info.NarHash);
        BindColumns(update, info);
    }

    // Nix writes null rather than 0, false or "" for these columns.
    private static void BindColumns(SqliteCommand cmd, ValidPathInfo info)
    {
        Bind(cmd, "$narSize", info.NarSize == 0 ? null : info.NarSize);
        Bind(cmd, "$ultimate", info.Ultimate ? 1L : null);
        Bind(cmd, "$sigs", info.Signatures.IsEmpty ? null : string.Join(' ', info.Signatures));
        Bind(cmd, "$ca", info.ContentAddress);
    }

    private static void Bind(SqliteCommand cmd, string name, object? value) =>
        cmd.Parameters[name].Value = value ?? DBNull.Value;

    /// <summary>A prepared statement for `sql`, made once per connection and reused (SQLite's parsing
    /// and planning would otherwise dominate the small queries a store makes by the thousand). It
    /// joins the transaction in progress. Callers must not dispose it.</summary>
    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        if (!_statements.TryGetValue(sql, out var cmd))
        {
            cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, _) in parameters) cmd.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            _statements[sql] = cmd;
        }
        foreach (var (name, value) in parameters) cmd.Parameters[name].Value = value ?? DBNull.Value;
        return cmd;
    }

    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    /// <summary>Starts a transaction that the statements made meanwhile join. BEGIN, COMMIT and
    /// ROLLBACK run as cached statements: SqliteConnection.BeginTransaction would prepare them anew
    /// (and allocate commands) for every transaction, which costs as much as a small query.</summary>
    private Transaction Begin(bool deferred)
    {
        Raw(deferred ? "begin deferred" : "begin immediate").Execute();
        return new Transaction(this);
    }

    private sealed class Transaction : IDisposable
    {
        private readonly StoreDatabase _db;
        private bool _open = true;

        public Transaction(StoreDatabase db) => _db = db;

        public void Commit()
        {
            _db.Raw("commit").Execute();
            _open = false;
        }

        public void Dispose()
        {
            if (!_open) return;
            _open = false;
            // SQLite may already have rolled back by itself (after some errors); only roll back
            // while a transaction is still open.
            if (SQLitePCL.raw.sqlite3_get_autocommit(_db._connection.Handle) == 0)
                _db.Raw("rollback").Execute();
        }
    }

    private void Execute(string sql)
    {
        var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        var cmd = Command(sql);
        return cmd.ExecuteScalar();
    }

    private long? QueryPathId(string path)
    {
        var statement = Raw("select id from ValidPaths where path = ?1").Bind(1, path);
        try { return statement.Step() ? statement.Int64(0) : null; }
        finally { statement.Reset(); }
    }

    private readonly Dictionary<string, RawStatement> _rawStatements = new(StringComparer.Ordinal);

    /// <summary>A statement of the hot write path, prepared once and run without SqliteCommand.</summary>
    private RawStatement Raw(string sql)
    {
        if (!_rawStatements.TryGetValue(sql, out var statement))
            _rawStatements[sql] = statement = new RawStatement(_connection.Handle!, sql);
        return statement;
    }

    private ImmutableSortedSet<string> ReferencesOf(long id) =>
        Paths("select path from Refs join ValidPaths on reference = id where referrer = $id", ("$id", id));

    private ImmutableSortedSet<string> Paths(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = Command(sql, parameters);
        using var reader = cmd.ExecuteReader();
        var paths = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        while (reader.Read()) paths.Add(reader.GetString(0));
        return paths.ToImmutable();
    }

    private static IEnumerable<string> SplitSignatures(string column) =>
        column.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    // ---- Locking, retries and errors ----

    // Reads run in a transaction too, so that a path's row and its references come from one snapshot.
    private T Read<T>(string doing, Func<T> query) => WithRetry(doing, () =>
    {
        using var transaction = Begin(deferred: true);
        var result = query();
        transaction.Commit();
        return result;
    });

    /// <summary>A query of a single statement: SQLite runs it on one snapshot by itself, so it
    /// needs no explicit transaction (whose BEGIN and COMMIT would cost as much as the query).</summary>
    private T ReadOneStatement<T>(string doing, Func<T> query) => WithRetry(doing, query);

    private void Write(string doing, Action change) => WithRetry(doing, () => { change(); return 0; });

    private T Write<T>(string doing, Func<T> change) => WithRetry(doing, change);

    /// <summary>Runs `operation` (which starts and commits its own transaction, rolled back when it
    /// throws) under the instance lock, retrying it whole while another process holds the database.</summary>
    private T WithRetry<T>(string doing, Func<T> operation)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long started = Stopwatch.GetTimestamp();
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    return operation();
                }
                catch (SqliteException e) when (IsBusy(e) && Stopwatch.GetElapsedTime(started) < _busyTimeout)
                {
                    // Writers use BEGIN IMMEDIATE, so SQLite's busy handler does most of the waiting;
                    // what still comes back busy is retried after a random, growing pause.
                    int ceiling = (int)Math.Min(1000, 10 * Math.Pow(2, Math.Min(attempt, 7)));
                    Thread.Sleep(Random.Shared.Next(1, ceiling + 1));
                }
                catch (SqliteException e)
                {
                    throw Translate(e, doing);
                }
            }
        }
    }

    private static bool IsBusy(SqliteException e) =>
        (e.SqliteErrorCode & 0xff) is SqliteBusy or SqliteLocked or SqliteProtocol;

    private StoreDatabaseException Translate(SqliteException e, string doing)
    {
        int code = e.SqliteErrorCode & 0xff;
        var reason = e.Message.TrimEnd('.');
        string message = code switch
        {
            SqliteBusy or SqliteLocked or SqliteProtocol =>
                $"the store database '{DbFile}' stayed busy for {Describe(_busyTimeout)} while {doing}: another process holds it " +
                "(a long-running or stuck nix or nixsharp process?); let it finish or stop it, then try again",
            SqliteCorrupt or SqliteNotADb =>
                $"the store database '{DbFile}' is corrupt or not a SQLite database ({reason}, while {doing}). " +
                $"Restore it from a backup; if the store holds nothing you need, remove '{Layout.DbDir}' to start afresh",
            SqliteReadOnly or SqlitePerm or SqliteAuth or SqliteCantOpen => NotWritableMessage() + $" ({reason}, while {doing})",
            SqliteFull =>
                $"the disk holding the store database '{DbFile}' is full ({reason}, while {doing}); free some space " +
                "(e.g. collect garbage) and try again",
            SqliteIoErr =>
                $"I/O error on the store database '{DbFile}' ({reason}, while {doing}); check the disk and the file's permissions",
            _ => $"SQLite error on the store database '{DbFile}' while {doing}: {reason}",
        };
        return new StoreDatabaseException(DbFile, message, e);
    }

    private static string Describe(TimeSpan t) =>
        t.TotalMinutes >= 2 ? $"{t.TotalMinutes:0} minutes" : $"{t.TotalSeconds:0.#} seconds";

    private string NotWritableMessage() =>
        $"cannot open the store database '{DbFile}' for writing as user '{Environment.UserName}'" +
        (Environment.IsPrivilegedProcess ? "" : ", who is not root") +
        $": a multi-user store belongs to root, so run this as root or through the Nix daemon; for a store of your own, " +
        $"make '{Layout.DbDir}' and the files in it writable by you";
}
