// A local store: store paths on disk plus the database that says which of them are valid.
// The rule everything here follows: a path counts only once its database row commits, and its
// files are complete and canonical before that. Writers hold the path's lock while they write,
// so concurrent adders of one path do the work once; whatever a crash leaves behind is invalid
// and is removed by the next writer of that path or by the garbage collector.
namespace Nixsharp.Store.Local;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Formats.Streams;
using Nixsharp.Store.Database;

public sealed partial class LocalStore : IDisposable
{
    public StoreLayout Layout { get; }
    public StorePathComputer Paths { get; }
    public StoreDatabase Db { get; }
    public DerivationHasher Hasher { get; }
    /// <summary>Where informational messages go (Nix prints them on stderr).</summary>
    public Action<string> Log { get; set; } = _ => { };

    private readonly TempRoots _tempRoots;

    private LocalStore(StoreLayout layout, StoreDatabase db)
    {
        Layout = layout;
        Db = db;
        Paths = new StorePathComputer(layout.StoreDir);
        Hasher = new DerivationHasher(Paths, ReadDerivationOrNull);
        _tempRoots = new TempRoots(layout);
    }

    /// <summary>Opens the store, creating its directories and database when they do not exist.</summary>
    public static LocalStore Open(StoreLayout layout)
    {
        try
        {
            Directory.CreateDirectory(layout.RealStoreDir);
            // Nix's directory of deduplication links; nixsharp does not deduplicate yet, but keeps
            // the layout Nix expects.
            Directory.CreateDirectory(Path.Combine(layout.RealStoreDir, ".links"));
            foreach (var dir in new[] { layout.StateDir, layout.DbDir, layout.TempRootsDir, layout.GcRootsDir, layout.ProfilesDir })
                Directory.CreateDirectory(dir);
        }
        catch (UnauthorizedAccessException)
        {
            throw new StoreException($"cannot create the store under '{layout.RealStoreDir}' and '{layout.StateDir}': permission denied " +
                                     "(run as root, or use --store DIR for a store in a directory you can write)");
        }
        var store = new LocalStore(layout, new StoreDatabase(layout));
        store.EnsureReservedSpace();
        return store;
    }

    /// <summary>Keeps db/reserved at its size, so that a collector can free that much first even
    /// when the disk is full.</summary>
    private void EnsureReservedSpace()
    {
        try
        {
            if (File.Exists(Layout.ReservedFile) && new FileInfo(Layout.ReservedFile).Length == ReservedSpace) return;
            using var f = new FileStream(Layout.ReservedFile, FileMode.Create, FileAccess.Write);
            var block = new byte[1 << 16];
            Array.Fill(block, (byte)'X');
            for (long done = 0; done < ReservedSpace; done += block.Length) f.Write(block);
        }
        catch (IOException) { } // a full disk is exactly when this may fail; not fatal
        catch (UnauthorizedAccessException) { }
    }

    public string StoreDir => Layout.StoreDir;
    public string ToRealPath(string storePath) => Layout.ToReal(storePath);

    public bool IsValidPath(string storePath) => Db.IsValidPath(storePath);

    /// <summary>A valid path's info, remembered: valid paths do not change, and graph queries ask
    /// about each path more than once. (Validity itself is always asked of the database.)</summary>
    public ValidPathInfo? QueryPathInfo(string storePath)
    {
        lock (_infoCache)
            if (_infoCache.TryGetValue(storePath, out var cached)) return cached;
        var info = Db.QueryPathInfo(storePath);
        if (info is not null) lock (_infoCache) _infoCache[storePath] = info;
        return info;
    }

    private readonly Dictionary<string, ValidPathInfo> _infoCache = new(StringComparer.Ordinal);

    /// <summary>Removes a path's row (refused while other valid paths refer to it).</summary>
    public bool InvalidatePath(string storePath)
    {
        lock (_infoCache) _infoCache.Remove(storePath);
        return Db.InvalidatePath(storePath);
    }

    public ValidPathInfo QueryValidPathInfo(string storePath) =>
        QueryPathInfo(storePath) ?? throw new StoreException($"path '{storePath}' is not valid");

    /// <summary>Checks that a string is a store path in this store (not something below one).</summary>
    public string ParseStorePath(string path)
    {
        var dir = StoreDir + "/";
        if (!path.StartsWith(dir, StringComparison.Ordinal))
            throw new StoreException($"path '{path}' is not in the Nix store");
        var baseName = path.Substring(dir.Length);
        if (baseName.Length < 34 || baseName[32] != '-' || baseName.IndexOf('/') >= 0)
            throw new StoreException($"path '{path}' is not a valid store path");
        foreach (var c in baseName.AsSpan(0, 32))
            if (!NixBase32.Alphabet.Contains(c)) throw new StoreException($"path '{path}' is not a valid store path");
        try { StorePathComputer.CheckName(baseName.Substring(33)); }
        catch (FormatException e) { throw new StoreException($"path '{path}' is not a valid store path: {e.Message}"); }
        return path;
    }

    /// <summary>The store path that a path (possibly below one, possibly through the real store
    /// directory of a chroot store) belongs to.</summary>
    public string ToStorePath(string path)
    {
        if (Layout.RealStoreDir != StoreDir && path.StartsWith(Layout.RealStoreDir + "/", StringComparison.Ordinal))
            path = StoreDir + path.Substring(Layout.RealStoreDir.Length);
        var dir = StoreDir + "/";
        if (!path.StartsWith(dir, StringComparison.Ordinal))
            throw new StoreException($"path '{path}' is not in the Nix store");
        var slash = path.IndexOf('/', dir.Length);
        return ParseStorePath(slash < 0 ? path : path.Substring(0, slash));
    }

    /// <summary>Keeps a path alive against concurrent garbage collection for this process's life.</summary>
    public void AddTempRoot(string storePath) => _tempRoots.Add(storePath);

    // ---- Adding contents ------------------------------------------------------------------------

    /// <summary>NARs up to this size are held in memory until their path is known; larger ones are
    /// restored into a temporary directory in the store and renamed into place (as Nix does).</summary>
    private const int InMemoryLimit = 4 << 20;

    /// <summary>Copies a file tree (recursive) or a single file's contents (flat) into the store as
    /// a content-addressed path, like `nix-store --add` / `--add-fixed` and path interpolation. The
    /// source is read once (a filter is asked once per entry); memory stays bounded.</summary>
    public string AddToStore(string name, string sourcePath, bool recursive = true, string hashAlgo = "sha256",
        Func<string, bool>? filter = null, bool repair = false)
    {
        if (!recursive && filter is not null) throw new ArgumentException("a filter needs recursive ingestion", nameof(filter));
        if (recursive)
        {
            if (Posix.LStat(sourcePath) is null) throw new StoreException($"getting status of '{sourcePath}': No such file or directory");
        }
        else
        {
            // Flat ingestion reads one file's contents, following symlinks, as Nix does.
            if (Directory.Exists(sourcePath)) throw new StoreException("reading from file: Is a directory");
            if (!File.Exists(sourcePath)) throw new StoreException($"opening file '{sourcePath}': No such file or directory");
        }

        using var contentHasher = HashAlgorithms.Create(hashAlgo);
        using Stream source = recursive
            ? new ProducerStream(s => NarWriter.Dump(sourcePath, s, filter))
            : new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);

        // Pull the start of the serialisation into memory; if there is more, restore the whole
        // thing into a temporary place in the store while hashing it.
        var memory = new MemoryStream();
        var chunk = new byte[1 << 16];
        bool inMemory = false;
        while (true)
        {
            int n = source.Read(chunk, 0, (int)Math.Min(chunk.Length, InMemoryLimit - memory.Length + 1));
            if (n == 0) { inMemory = true; break; }
            contentHasher.AppendData(chunk, 0, n);
            memory.Write(chunk, 0, n);
            if (memory.Length > InMemoryLimit) break;
        }
        string? tempPath = null, tempReal = null;
        long restBytes = 0;
        try
        {
            if (!inMemory)
            {
                tempPath = StoreDir + "/" + NixBase32.Encode(RandomNumberGenerator.GetBytes(20)) + "-add";
                AddTempRoot(tempPath);
                tempReal = ToRealPath(tempPath);
                memory.Position = 0;
                var rest = new HashingReadStream(source, contentHasher);
                if (recursive) NarReader.Parse(new ConcatStream(memory, rest), new NarRestorer(tempReal));
                else
                {
                    using var f = new FileStream(tempReal, FileMode.CreateNew, FileAccess.Write);
                    memory.CopyTo(f);
                    rest.CopyTo(f, 1 << 16);
                }
                restBytes = memory.Length + rest.BytesRead;
                memory = new MemoryStream();
            }
            var contentHash = contentHasher.GetHashAndReset();
            long sourceBytes = inMemory ? memory.Length : restBytes;
            var storePath = Paths.MakeFixedOutputPath(recursive, hashAlgo, contentHash, name);
            // Checked once the path is known, as Nix does: its message quotes the hashed name.
            if (StorePathComputer.NameError(storePath.Substring(StoreDir.Length + 1)) is { } nameError)
                throw new StoreException(nameError);
            var ca = $"fixed:{(recursive ? "r:" : "")}{hashAlgo}:{NixBase32.Encode(contentHash)}";

            return WriteOnce(storePath, repair, real =>
            {
                if (!inMemory) Directory.Move(tempReal!, real);
                else if (recursive) { memory.Position = 0; NarReader.Parse(memory, new NarRestorer(real)); }
                else using (var f = new FileStream(real, FileMode.CreateNew, FileAccess.Write)) { memory.Position = 0; memory.CopyTo(f); }
                StoreFiles.Canonicalise(real);
                // For recursive SHA-256 the content hash is the NAR hash of exactly what was restored
                // (the source was read once); otherwise the NAR hash is computed from the result.
                var (narHash, narSize) = recursive && hashAlgo == "sha256" ? (contentHash, sourceBytes) : HashNar(real);
                return new ValidPathInfo
                {
                    Path = storePath, NarHash = ValidPathInfo.FormatNarHash(narHash), NarSize = narSize, ContentAddress = ca,
                };
            });
        }
        finally
        {
            if (tempReal is not null && Posix.LStat(tempReal) is not null) StoreFiles.DeleteTree(tempReal);
        }
    }

    /// <summary>Adds a text file with the given references (builtins.toFile, .drv files).</summary>
    public string AddTextToStore(string name, ReadOnlySpan<byte> contents, IReadOnlyCollection<string> references, bool repair = false) =>
        WriteText(Paths.ComputeTextPath(name, contents, references), contents.ToArray(), references, repair, checkedDerivation: null);

    /// <summary>Writes a text path (its path already computed) and registers it.</summary>
    private string WriteText(string storePath, byte[] bytes, IReadOnlyCollection<string> references, bool repair, Derivation? checkedDerivation) =>
        WriteOnce(storePath, repair, real =>
        {
            // open, write, close, as Nix does: a FileStream allocated a 4 KiB buffer per file (a fifth
            // of what instantiating small derivations allocated) and asked the kernel for its position.
            int fd = Posix.Open(real, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL, 0b110_110_110);
            if (fd < 0) throw Posix.Error($"opening file '{real}'", Posix.LastError);
            try { Posix.WriteAll(fd, bytes, real); }
            finally { Posix.Close(fd); }
            StoreFiles.Canonicalise(real);
            // The file holds exactly these bytes (created exclusively just now): hash them from memory.
            var (narHash, narSize) = HashTextNar(bytes);
            return new ValidPathInfo
            {
                Path = storePath, NarHash = ValidPathInfo.FormatNarHash(narHash), NarSize = narSize,
                ContentAddress = "text:sha256:" + NixBase32.Encode(SHA256.HashData(bytes)),
                References = ValidPathInfo.PathSet(references),
            };
        }, checkedDerivation);

    /// <summary>Writes a derivation as a .drv file (checking its output paths) and returns its path.</summary>
    public string AddDerivation(Derivation drv, bool repair = false)
    {
        var text = drv.UnparseUtf8(false);
        var refs = new SortedSet<string>(drv.InputSrcs, StringComparer.Ordinal);
        foreach (var d in drv.InputDrvs.Keys) refs.Add(d);
        var path = Paths.ComputeTextPath(drv.Name + ".drv", text, refs);
        Hasher.CheckOutputs(path, drv);
        // Checked above: registration need not read the file back and check it again.
        var written = WriteText(path, text, refs, repair, drv);
        Hasher.Remember(written, drv);
        return written;
    }

    /// <summary>Imports a path from its NAR (copying, `store import`, substitution). The NAR is
    /// streamed into place and checked against the claimed hash and size before anything counts.</summary>
    public void AddFromNar(ValidPathInfo info, Stream nar, bool repair = false)
    {
        ParseStorePath(info.Path);
        foreach (var r in info.References) ParseStorePath(r);
        WriteOnce(info.Path, repair, real => info with { NarSize = RestoreNar(info, nar, real) });
    }

    private void CheckContentAddress(ValidPathInfo info, string real)
    {
        if (info.ContentAddress is not { } ca) return;
        string computed;
        if (ca.StartsWith("text:", StringComparison.Ordinal))
        {
            computed = Paths.ComputeTextPath(BaseName(info.Path), ReadRegularFile(info.Path, "text"),
                info.References.Where(r => r != info.Path));
        }
        else if (ca.StartsWith("fixed:", StringComparison.Ordinal))
        {
            var rest = ca.Substring(6);
            bool recursive = rest.StartsWith("r:", StringComparison.Ordinal);
            if (recursive) rest = rest.Substring(2);
            var algo = rest.Substring(0, Math.Max(0, rest.IndexOf(':')));
            computed = Paths.MakeFixedOutputPath(recursive, algo, HashContents(real, recursive, algo), BaseName(info.Path));
        }
        else throw new StoreException($"path '{info.Path}' has an unknown content address '{ca}'");
        if (computed != info.Path)
            throw new StoreException($"cannot add path '{info.Path}' to the Nix store because it claims to be content-addressed but isn't");
    }

    private static string BaseName(string storePath) => storePath.Substring(storePath.LastIndexOf('/') + 34);

    /// <summary>The common shape of every write: temp root, path lock, re-check, clear leftovers,
    /// write, register, release. Returns the path.</summary>
    private string WriteOnce(string storePath, bool repair, Func<string, ValidPathInfo> write, Derivation? checkedDerivation = null)
    {
        AddTempRoot(storePath);
        if (!repair && IsValidPath(storePath)) return storePath;
        var real = ToRealPath(storePath);
        using var locks = PathLocks.Acquire(new[] { real }, wait: true,
            waiting: p => Log($"waiting for lock on '{storePath}'..."))!;
        if (repair || !IsValidPath(storePath))
        {
            // Whatever is there is a leftover of an interrupted writer (or, with repair, damaged).
            StoreFiles.DeleteTree(real);
            try
            {
                Register(new[] { write(real) }, checkedDerivation);
            }
            catch
            {
                // A refused registration (a bad .drv, a missing reference) fails like a failed
                // write: nothing of it stays, not even the lock file, which is released as a
                // finished writer releases it, so that waiters start over.
                try { StoreFiles.DeleteTree(real); } catch (IOException) { }
                locks.SetDeletion(true);
                throw;
            }
        }
        locks.SetDeletion(true);
        return storePath;
    }

    /// <summary>Registers paths whose files are in place, in one transaction. .drv paths get
    /// their outputs recorded (and checked) as Nix does.</summary>
    public void Register(IReadOnlyList<ValidPathInfo> infos, Derivation? checkedDerivation = null)
    {
        Dictionary<string, IReadOnlyDictionary<string, string>>? drvOutputs = null;
        foreach (var info in infos)
        {
            if (!info.Path.EndsWith(".drv", StringComparison.Ordinal)) continue;
            Derivation drv;
            if (checkedDerivation is not null && infos.Count == 1) drv = checkedDerivation;
            else
            {
                drv = ReadDerivationFile(info.Path);
                try { Hasher.CheckOutputs(info.Path, drv); }
                catch (FormatException e) { throw new StoreException(e.Message); }
            }
            drvOutputs ??= new(StringComparer.Ordinal);
            var outs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, o) in drv.Outputs)
                if (o.Path.Length > 0) outs[name] = o.Path;
            drvOutputs[info.Path] = outs;
        }
        Db.RegisterValidPaths(infos, drvOutputs);
        lock (_infoCache) foreach (var info in infos) _infoCache.Remove(info.Path);
    }

    // ---- Reading --------------------------------------------------------------------------------

    /// <summary>Parses a .drv file in the store (valid or about to be registered).</summary>
    public Derivation ReadDerivationFile(string drvPath)
    {
        var name = BaseName(drvPath);
        if (!name.EndsWith(".drv", StringComparison.Ordinal))
            throw new StoreException($"'{drvPath}' is not a derivation (its name does not end in .drv)");
        var bytes = ReadRegularFile(drvPath, "derivation");
        try { return DerivationParser.Parse(bytes, name.Substring(0, name.Length - 4), StoreDir); }
        catch (FormatException e) { throw new StoreException($"error parsing derivation '{drvPath}': {e.Message}"); }
    }

    /// <summary>The contents of a store path that must be a regular file (a .drv, a text). Anything
    /// else is refused unread: an imported path can be a symlink to /dev/zero or to a FIFO.</summary>
    private byte[] ReadRegularFile(string storePath, string what)
    {
        var real = ToRealPath(storePath);
        try
        {
            if (Posix.LStat(real) is not { IsRegular: true })
                throw new StoreException($"{what} '{storePath}' is not a regular file");
            return File.ReadAllBytes(real);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"reading {what} '{storePath}': {e.Message}");
        }
    }

    private Derivation? ReadDerivationOrNull(string drvPath)
    {
        try { return File.Exists(ToRealPath(drvPath)) ? ReadDerivationFile(drvPath) : null; }
        catch (StoreException) { return null; }
    }

    /// <summary>Writes the NAR of a store path (or anything) to a stream.</summary>
    public void DumpPath(string storePath, Stream output) => NarWriter.Dump(ToRealPath(storePath), output);

    public static (byte[] Hash, long Size) HashNar(string realPath)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sink = new HashingStream(h);
        NarWriter.Dump(realPath, sink);
        return (h.GetHashAndReset(), sink.Length64);
    }

    private static (byte[] Hash, long Size) HashTextNar(byte[] contents)
    {
        // Texts are small: the NAR is built in a pooled buffer and hashed in one call, which
        // allocates far less than an incremental hash per path.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(contents.Length + 256);
        try
        {
            var nar = new MemoryStream(buffer);
            NarWriter.WriteRegularFile(contents, executable: false, nar);
            var size = (int)nar.Position;
            return (SHA256.HashData(buffer.AsSpan(0, size)), size);
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static byte[] HashContents(string realPath, bool recursive, string algo)
    {
        using var h = HashAlgorithms.Create(algo);
        using var sink = new HashingStream(h);
        if (recursive) NarWriter.Dump(realPath, sink);
        else using (var f = File.OpenRead(realPath)) f.CopyTo(sink, 1 << 16);
        return h.GetHashAndReset();
    }

    public void Dispose()
    {
        _tempRoots.Dispose();
        Db.Dispose();
    }
}

/// <summary>A store operation failed for a reason the user can act on; the message says which.</summary>
public sealed class StoreException : Exception
{
    public StoreException(string message) : base(message) { }
}

/// <summary>Reads one stream, then another.</summary>
public sealed class ConcatStream : ReadOnlyStream
{
    private readonly Stream _first, _second;
    private bool _onSecond;
    public ConcatStream(Stream first, Stream second) { _first = first; _second = second; }
    public override int Read(Span<byte> buffer)
    {
        if (!_onSecond)
        {
            int n = _first.Read(buffer);
            if (n > 0) return n;
            _onSecond = true;
        }
        return _second.Read(buffer);
    }
}
