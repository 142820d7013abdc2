// Garbage collection. A path is garbage when nothing keeps it: no permanent, runtime or temporary
// root reaches it through references (and, as Nix's keep-derivations/keep-outputs settings say,
// through derivers and outputs). Safety against concurrent users rests on two things: the global
// GC lock, which stops new permanent roots and new temporary roots from appearing unseen (adders
// that find the lock taken hand their root to our socket and wait for our answer), and deleting a
// dead path's referrers before the path itself.
namespace Nixsharp.Store.Local;

using System.Net.Sockets;
using System.Text;
using Nixsharp.Store.Database;

public enum GcAction { ReturnLive, ReturnDead, DeleteDead, DeleteSpecific }

public sealed record GcOptions
{
    public GcAction Action { get; init; } = GcAction.DeleteDead;
    public IReadOnlyCollection<string> PathsToDelete { get; init; } = Array.Empty<string>();
    public bool IgnoreLiveness { get; init; }
    public long MaxFreed { get; init; } = long.MaxValue;
    public bool KeepOutputs { get; init; }
    public bool KeepDerivations { get; init; } = true;
}

public sealed record GcResults(IReadOnlyList<string> Paths, long BytesFreed);

public sealed partial class LocalStore
{
    /// <summary>Nix's default gc-reserved-space: a file deleted first by the collector so that it can
    /// run on a full disk.</summary>
    public const long ReservedSpace = 8 * 1024 * 1024;

    public GcResults CollectGarbage(GcOptions options)
    {
        bool delete = options.Action is GcAction.DeleteDead or GcAction.DeleteSpecific;
        bool keepOutputs = options.KeepOutputs, keepDerivations = options.KeepDerivations;
        if (options.Action == GcAction.DeleteSpecific && options.IgnoreLiveness)
            keepOutputs = keepDerivations = false; // else they would pull in more than was asked for
        if (delete) Posix.Unlink(Layout.ReservedFile);

        return _tempRoots.WithExclusiveGcLock(ownTempRoots =>
        {
            using var server = new RootsServer(Path.Combine(Layout.StateDir, TempRoots.GcSocketRelative), Log);
            var roots = new HashSet<string>(StringComparer.Ordinal);
            var finder = new GcRoots(Layout, IsValidPath, Log);
            Log("finding garbage collector roots...");
            if (!options.IgnoreLiveness)
                foreach (var r in finder.FindPermanentRoots(keepInvalid: true).Keys) roots.Add(r);
            foreach (var r in finder.FindTempRoots()) { roots.Add(r); server.AddTempRoot(r); }
            foreach (var r in ownTempRoots) { roots.Add(r); server.AddTempRoot(r); }

            var gc = new Collection(this, options, roots, server, keepOutputs, keepDerivations, delete);
            if (options.Action == GcAction.DeleteSpecific)
            {
                foreach (var p in options.PathsToDelete)
                {
                    ParseStorePath(p);
                    gc.Visit(p);
                    if (!gc.Dead.Contains(p))
                        throw new StoreException($"Cannot delete path '{p}' since it is still alive. To find out why, use: nix-store --query --roots");
                }
            }
            else if (options.MaxFreed > 0)
            {
                Log(delete ? "deleting garbage..." : "determining live/dead paths...");
                try
                {
                    foreach (var entry in Directory.EnumerateFileSystemEntries(Layout.RealStoreDir))
                    {
                        var name = Path.GetFileName(entry);
                        if (name == ".links") continue;
                        var storePath = StoreDir + "/" + name;
                        if (LooksLikeStorePath(name)) gc.Visit(storePath);
                        else gc.DeleteFromStore(name);
                    }
                }
                catch (LimitReached) { }
            }

            if (options.Action == GcAction.ReturnLive) return new GcResults(gc.Alive.Order(StringComparer.Ordinal).ToList(), 0);
            if (options.Action == GcAction.ReturnDead) return new GcResults(gc.Dead.Order(StringComparer.Ordinal).ToList(), 0);
            return new GcResults(gc.Deleted, gc.BytesFreed);
        }, () => Log("waiting for the big garbage collector lock..."));
    }

    private static bool LooksLikeStorePath(string baseName)
    {
        if (baseName.Length < 34 || baseName[32] != '-') return false;
        foreach (var c in baseName.AsSpan(0, 32))
            if (!Nixsharp.Formats.Hashes.NixBase32.Alphabet.Contains(c)) return false;
        return true;
    }

    private static string HashPart(string storePath) => storePath.Substring(storePath.LastIndexOf('/') + 1, 32);

    private sealed class LimitReached : Exception { }

    /// <summary>The paths this process must create or keep (for callers that collect in-process).</summary>
    private sealed class Collection
    {
        private readonly LocalStore _store;
        private readonly GcOptions _options;
        private readonly HashSet<string> _roots;
        private readonly RootsServer _server;
        private readonly bool _keepOutputs, _keepDerivations, _delete;
        public readonly HashSet<string> Alive = new(StringComparer.Ordinal);
        public readonly HashSet<string> Dead = new(StringComparer.Ordinal);
        public readonly List<string> Deleted = new();
        public long BytesFreed;
        private readonly HashSet<string> _specific;

        public Collection(LocalStore store, GcOptions options, HashSet<string> roots, RootsServer server,
            bool keepOutputs, bool keepDerivations, bool delete)
        {
            _store = store; _options = options; _roots = roots; _server = server;
            _keepOutputs = keepOutputs; _keepDerivations = keepDerivations; _delete = delete;
            _specific = new HashSet<string>(options.PathsToDelete, StringComparer.Ordinal);
        }

        /// <summary>Decides `start` together with everything that would keep it alive (its
        /// referrers, and derivers/outputs as configured): if none of them is a root, all are dead
        /// and are deleted referrers first; otherwise `start` is alive.</summary>
        public void Visit(string start)
        {
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var order = new List<string>();
            var todo = new Queue<string>();
            void Enqueue(string p) { if (visited.Add(p)) { todo.Enqueue(p); order.Add(p); } }
            Enqueue(start);
            try
            {
                while (todo.Count > 0)
                {
                    var path = todo.Dequeue();
                    if (Alive.Contains(path)) { Alive.Add(start); return; }
                    if (Dead.Contains(path)) continue;
                    if (_roots.Contains(path)) { MarkAlive(path, start); return; }
                    if (_options.Action == GcAction.DeleteSpecific && !_specific.Contains(path)) return;
                    if (!_server.BeginDeletion(HashPart(path))) { MarkAlive(path, start); return; }
                    if (_store.IsValidPath(path))
                    {
                        foreach (var r in _store.Db.QueryReferrers(path)) Enqueue(r);
                        if (_keepDerivations && path.EndsWith(".drv", StringComparison.Ordinal))
                            foreach (var (_, output) in _store.Db.QueryDerivationOutputs(path))
                                if (_store.IsValidPath(output) && _store.QueryPathInfo(output)?.Deriver == path)
                                    Enqueue(output);
                        if (_keepOutputs)
                            foreach (var d in _store.Db.QueryValidDerivers(path)) Enqueue(d);
                    }
                }
                // Everything reached is dead. Referrers go before what they refer to.
                foreach (var path in TopoSortReferrersFirst(order))
                {
                    if (Dead.Contains(path) || Alive.Contains(path)) continue;
                    if (_delete)
                    {
                        // The socket only holds back a client asking for the one path being looked
                        // at, so one may have made this path a temporary root since the walk above
                        // passed it (and been told to go ahead while it was still valid). Look
                        // again, and hold such clients back while this path goes.
                        if (!_server.BeginDeletion(HashPart(path)))
                        {
                            KeepAlive(path);
                            continue;
                        }
                        try
                        {
                            _store.InvalidatePath(path);
                        }
                        catch (PathInUseException e)
                        {
                            // Something registered since refers to it: it is not garbage after all.
                            _store.Log($"not deleting '{path}': {e.Message}");
                            KeepAlive(path);
                            continue;
                        }
                        DeleteFromStore(path.Substring(path.LastIndexOf('/') + 1));
                    }
                    Dead.Add(path);
                }
            }
            finally
            {
                _server.EndDeletion();
            }
        }

        private void MarkAlive(string path, string start)
        {
            Alive.Add(start);
            KeepAlive(path);
        }

        private void KeepAlive(string path)
        {
            Alive.Add(path);
            foreach (var p in _store.ComputeClosure(new[] { path }, includeOutputs: _keepOutputs, includeDerivers: _keepDerivations))
                Alive.Add(p);
        }

        private List<string> TopoSortReferrersFirst(List<string> paths)
        {
            var set = new HashSet<string>(paths, StringComparer.Ordinal);
            var result = new List<string>(paths.Count);
            var done = new HashSet<string>(StringComparer.Ordinal);
            void Go(string p, int depth)
            {
                if (!done.Add(p)) return;
                if (_store.IsValidPath(p))
                    foreach (var r in _store.Db.QueryReferrers(p))
                        if (r != p && set.Contains(r)) Go(r, depth + 1);
                result.Add(p);
            }
            foreach (var p in paths) Go(p, 0);
            return result;
        }

        public void DeleteFromStore(string baseName)
        {
            var path = _store.StoreDir + "/" + baseName;
            _store.Log($"deleting '{path}'");
            Deleted.Add(path);
            if (!_delete) return;
            BytesFreed += StoreFiles.DeleteTree(_store.Layout.RealStoreDir + "/" + baseName);
            if (BytesFreed > _options.MaxFreed)
            {
                _store.Log($"deleted more than {_options.MaxFreed} bytes; stopping");
                throw new LimitReached();
            }
        }
    }

    /// <summary>The closure of paths under references (optionally with derivation outputs and
    /// derivers), as `nix-store --query --requisites` computes it.</summary>
    public HashSet<string> ComputeClosure(IEnumerable<string> start, bool includeOutputs = false, bool includeDerivers = false)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>();
        foreach (var s in start) if (closure.Add(s)) todo.Push(s);
        while (todo.Count > 0)
        {
            var p = todo.Pop();
            var info = QueryPathInfo(p);
            if (info is null) continue;
            foreach (var r in info.References) if (closure.Add(r)) todo.Push(r);
            if (includeOutputs && p.EndsWith(".drv", StringComparison.Ordinal))
                foreach (var (_, o) in Db.QueryDerivationOutputs(p))
                    if (IsValidPath(o) && closure.Add(o)) todo.Push(o);
            if (includeDerivers && info.Deriver is { } d && IsValidPath(d) && closure.Add(d)) todo.Push(d);
        }
        return closure;
    }

    /// <summary>Listens on the GC socket while a collection runs: processes that want to add a
    /// temporary root tell us, and we answer only once the path is safe from us.</summary>
    private sealed class RootsServer : IDisposable
    {
        private readonly Socket _listener;
        private readonly string _socketPath;
        private readonly Action<string> _log;
        private readonly object _gate = new();
        private readonly HashSet<string> _tempRootHashes = new(StringComparer.Ordinal);
        private string? _pending;
        private readonly List<Socket> _clients = new();
        private readonly Thread _acceptThread;
        private volatile bool _stopping;

        public RootsServer(string socketPath, Action<string> log)
        {
            _socketPath = socketPath;
            _log = log;
            Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
            Posix.Unlink(socketPath);
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, (UnixFileMode)0x1B6 /* 0666 */);
            _listener.Listen(64);
            _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "gc-roots-server" };
            _acceptThread.Start();
        }

        public void AddTempRoot(string storePath)
        {
            lock (_gate) _tempRootHashes.Add(HashPart(storePath));
        }

        /// <summary>Marks a path as being deleted; false if it became a temporary root.</summary>
        public bool BeginDeletion(string hashPart)
        {
            lock (_gate)
            {
                if (_tempRootHashes.Contains(hashPart)) return false;
                _pending = hashPart;
                // Clients held back for the previous path may go on.
                Monitor.PulseAll(_gate);
                return true;
            }
        }

        public void EndDeletion()
        {
            lock (_gate)
            {
                _pending = null;
                Monitor.PulseAll(_gate);
            }
        }

        private void AcceptLoop()
        {
            while (!_stopping)
            {
                Socket client;
                try { client = _listener.Accept(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                lock (_clients) _clients.Add(client);
                new Thread(() => Serve(client)) { IsBackground = true, Name = "gc-roots-client" }.Start();
            }
        }

        private void Serve(Socket client)
        {
            var line = new List<byte>();
            var buf = new byte[4096];
            try
            {
                while (true)
                {
                    int n = client.Receive(buf);
                    if (n <= 0) return;
                    for (int i = 0; i < n; i++)
                    {
                        if (buf[i] != (byte)'\n') { line.Add(buf[i]); continue; }
                        var path = Encoding.UTF8.GetString(line.ToArray());
                        line.Clear();
                        var slash = path.LastIndexOf('/');
                        if (slash >= 0 && path.Length >= slash + 34)
                        {
                            var hash = path.Substring(slash + 1, 32);
                            lock (_gate)
                            {
                                _tempRootHashes.Add(hash);
                                // The client must not recreate a path we are in the middle of deleting.
                                while (_pending == hash) Monitor.Wait(_gate);
                            }
                        }
                        else _log("received garbage instead of a root from client");
                        client.Send("1"u8);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            finally
            {
                // Under the list's lock, so that Dispose never shuts down a client disposed here.
                lock (_clients) _clients.Remove(client);
                client.Dispose();
            }
        }

        public void Dispose()
        {
            _stopping = true;
            _listener.Dispose();
            lock (_clients) foreach (var c in _clients) { try { c.Shutdown(SocketShutdown.Both); } catch (SocketException) { } c.Dispose(); }
            lock (_gate) Monitor.PulseAll(_gate);
            Posix.Unlink(_socketPath);
        }
    }
}
