// Copying closures between the local store and a store behind `nix-store --serve` (over ssh).
// To the remote: compute the closure locally, ask the remote in one request which of it it has,
// then send only the missing paths, references first, each NAR streamed from disk while the
// remote's acknowledgements are read concurrently (no round trip per path). From the remote: one
// request for the closure, one for the infos of what is missing locally, then all the NARs
// requested at once; each is checked (hash, size, content address) while it is restored, and a
// path is registered only once it checked out.
namespace Nixsharp.Remote.Ssh;

using System.Security.Cryptography;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Formats.Serve;
using Nixsharp.Formats.Signing;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

public sealed record CopyResult(IReadOnlyList<string> Copied, long Bytes, int AlreadyPresent, IReadOnlyDictionary<ServeCommand, int> Requests);

public static class SshCopy
{
    public static CopyResult CopyTo(LocalStore store, ServeClient remote, IReadOnlyCollection<string> roots,
        bool includeOutputs, bool substitute, ICopyProgress progress)
    {
        var closure = store.ComputeClosure(roots, includeOutputs);
        var order = store.TopoSortPaths(closure);
        order.Reverse(); // references first, so the remote can register each path as it arrives
        var present = remote.QueryValidPaths(closure, lockPaths: false, substitute);
        var missing = order.Where(p => !present.Contains(p)).Select(p =>
        {
            var info = store.QueryValidPathInfo(p);
            // A size of 0 means "unknown" (an old registration); the protocol needs it up front.
            return info.NarSize > 0 ? info : info with { NarSize = LocalStore.HashNar(store.ToRealPath(p)).Size };
        }).ToList();
        progress.Planned(missing.Count, missing.Sum(i => i.NarSize), present.Count);
        if (missing.Count == 0) return new CopyResult([], 0, present.Count, remote.Requests);

        bool addNar = ServeProtocol.Minor(remote.RemoteVersion) >= 5;
        var copied = new List<string>(missing.Count);
        // Acknowledgements are read while NARs are still being sent: one 1 per path, in order.
        var acks = Task.Run(() =>
        {
            foreach (var info in missing)
            {
                ServeProtocol.ReadSuccess(remote.From, $"the answer to adding '{info.Path}'");
                lock (copied) copied.Add(info.Path);
                progress.PathDone(info.Path);
            }
        });
        long bytes = 0;
        string sending = "";
        Exception? sendFailure = null;
        bool localFailure = false;
        try
        {
            foreach (var info in missing)
            {
                sending = info.Path;
                progress.PathStarted(info.Path, info.NarSize);
                var hashed = addNar ? SendAddToStoreNar(store, remote, info, progress) : SendImport(store, remote, info, progress);
                bytes += info.NarSize;
                if (hashed is not null && hashed != info.NarHash)
                {
                    remote.Kill();
                    throw new RemoteException($"path '{info.Path}' in the local store has been modified (its NAR hash is {hashed}, " +
                        $"the store database says {info.NarHash}); not copying it to '{remote.Url.Display}' — run 'nixsharp store verify --check-contents'");
                }
                // Let the remote start on the first path while later ones are read from disk.
                if (info == missing[0]) remote.To.Flush();
            }
            remote.To.Flush();
        }
        catch (IOException e)
        {
            sendFailure = e;
            // A local read failed: end the session, so that the acknowledgement reader stops too.
            localFailure = !remote.ConnectionBroken;
            if (localFailure) remote.Kill();
        }
        try
        {
            acks.GetAwaiter().GetResult();
        }
        catch (Exception e) when ((e is IOException or FormatException) && localFailure)
        {
            // The session was ended because of the local failure, reported below.
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            int done;
            lock (copied) done = copied.Count;
            throw remote.Failure(e, done < missing.Count ? $"adding '{missing[done].Path}' ({done} of {missing.Count} paths done)" : "copying");
        }
        if (sendFailure is not null)
        {
            if (!localFailure) throw remote.Failure(sendFailure, $"sending '{sending}'");
            throw new RemoteException($"cannot read '{sending}' from the local store to send it to '{remote.Url.Display}': {sendFailure.Message}");
        }
        return new CopyResult(copied, bytes, present.Count, remote.Requests);
    }

    /// <summary>AddToStoreNar (protocol 2.5 on): the path's info, then its NAR straight from disk.
    /// The remote checks the NAR against the hash and size sent with it (Nix's and nixsharp's
    /// servers both refuse a mismatch), so a path modified here is not spread, and hashing it here
    /// too would only take CPU from the ssh processes on the same machine. Returns null.</summary>
    private static string? SendAddToStoreNar(LocalStore store, ServeClient remote, ValidPathInfo info, ICopyProgress progress)
    {
        remote.CountRequest(ServeCommand.AddToStoreNar);
        ServeProtocol.WriteAddToStoreNar(remote.To, new AddToStoreNarRequest(
            info.Path, info.Deriver, info.NarHash.Substring("sha256:".Length), info.References.ToList(),
            (ulong)Math.Max(0, info.RegistrationTime), (ulong)info.NarSize, info.Ultimate, info.Signatures.ToList(), info.ContentAddress));
        NarWriter.Dump(store.ToRealPath(info.Path), new ProgressWriteStream(remote.To, progress));
        return null;
    }

    /// <summary>ImportPaths (older servers): the path as a one-path export stream. Nothing in it
    /// says what the NAR's hash should be, so it is hashed here: a path modified in this store is
    /// caught before its export ends. Returns the NAR hash of what was sent.</summary>
    private static string SendImport(LocalStore store, ServeClient remote, ValidPathInfo info, ICopyProgress progress)
    {
        remote.CountRequest(ServeCommand.ImportPaths);
        ServeProtocol.WriteCommand(remote.To, ServeCommand.ImportPaths);
        string hash = "";
        ExportFormat.WritePath(remote.To, o => hash = DumpHashed(store, info.Path, o, progress),
            new ExportTrailer(info.Path, info.References.ToList(), info.Deriver));
        ExportFormat.WriteEnd(remote.To);
        return hash;
    }

    private static string DumpHashed(LocalStore store, string path, Stream to, ICopyProgress progress)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        NarWriter.Dump(store.ToRealPath(path), new ProgressWriteStream(new HashingStream(h, to), progress));
        return ValidPathInfo.FormatNarHash(h.GetHashAndReset());
    }

    /// <summary>Imports the closure of `roots` from the remote. With `trusted` (signature checking
    /// on), every missing path must carry a valid signature by one of its keys or be content-addressed
    /// (its path then proves its contents); this is checked for all of them before any NAR is asked for.</summary>
    public static CopyResult CopyFrom(ServeClient remote, LocalStore store, IReadOnlyCollection<string> roots,
        bool includeOutputs, ICopyProgress progress, TrustedKeys? trusted = null)
    {
        var url = remote.Url.Display;
        var have = remote.QueryValidPaths(roots);
        foreach (var r in roots)
            if (!have.Contains(r)) throw new RemoteException($"path '{r}' is not valid on '{url}'");
        var closure = remote.QueryClosure(roots, includeOutputs);
        var closureSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in closure)
        {
            CheckStorePath(store, remote, p, "in the closure");
            closureSet.Add(p);
        }
        foreach (var r in roots)
            if (!closureSet.Contains(r)) throw Garbage(remote, $"the closure it sent lacks '{r}' itself");

        var missing = closureSet.Where(p => !store.IsValidPath(p)).Order(StringComparer.Ordinal).ToList();
        var infos = new Dictionary<string, ValidPathInfo>(StringComparer.Ordinal);
        if (missing.Count > 0)
            foreach (var si in remote.QueryPathInfos(missing)) infos[si.Path] = ToValidPathInfo(store, remote, si, closureSet);
        foreach (var p in missing)
            if (!infos.ContainsKey(p)) throw Garbage(remote, $"it listed '{p}' in the closure but sent no info for it");
        var order = SortReferencesFirst(missing, infos, remote);
        if (trusted is not null)
            foreach (var p in order) CheckTrusted(store, remote, infos[p], trusted);
        progress.Planned(order.Count, order.Sum(p => infos[p].NarSize), closureSet.Count - order.Count);
        if (order.Count == 0) return new CopyResult([], 0, closureSet.Count, remote.Requests);

        // All requests go out at once from another thread (the NARs come back in the same order);
        // writing them here could deadlock against a server blocked on writing a NAR we are not reading.
        var requests = Task.Run(() =>
        {
            foreach (var p in order) remote.RequestNar(p);
            remote.To.Flush();
        });
        var copied = new List<string>(order.Count);
        long bytes = 0;
        foreach (var p in order)
        {
            var info = infos[p];
            progress.PathStarted(p, info.NarSize);
            var nar = new ProgressReadStream(remote.From, progress);
            try
            {
                store.AddFromNar(info, nar);
                // Someone else added the path meanwhile: its NAR is still on the wire.
                if (nar.BytesRead == 0) remote.SkipNar();
            }
            catch (Exception e) when (e is StoreException or IOException or FormatException or EndOfStreamException)
            {
                if (remote.ConnectionBroken)
                    throw remote.Failure(e, $"receiving '{p}' ({copied.Count} of {order.Count} paths done; nothing of '{p}' was registered)");
                remote.Kill();
                // An I/O error now is the local store's (a full disk); anything else is the NAR's.
                if (e is IOException)
                    throw new RemoteException($"cannot add '{p}' from '{url}' to the local store (nothing of it was registered): {e.Message}");
                throw new RemoteException($"refusing '{p}' from '{url}' (nothing of it was registered): {e.Message}");
            }
            copied.Add(p);
            bytes += info.NarSize;
            progress.PathDone(p);
        }
        try { requests.GetAwaiter().GetResult(); }
        catch (IOException e) { throw remote.Failure(e, "sending requests"); }
        return new CopyResult(copied, bytes, closureSet.Count - order.Count, remote.Requests);
    }

    private static void CheckTrusted(LocalStore store, ServeClient remote, ValidPathInfo info, TrustedKeys trusted)
    {
        var fingerprint = PathFingerprint.Of(info.Path, Hash.ParseAnyPrefixed(info.NarHash), info.NarSize, info.References);
        if (trusted.AnyValid(fingerprint, info.Signatures)) return;
        if (info.ContentAddress is { } ca && store.ContentAddressGives(ca, info.Path, info.References)) return;
        remote.Kill();
        throw new RemoteException($"cannot add path '{info.Path}' because it lacks a valid signature");
    }

    private static RemoteException Garbage(ServeClient remote, string what)
    {
        remote.Kill();
        return new RemoteException($"'{remote.Url.Display}' sent garbage: {what}");
    }

    private static void CheckStorePath(LocalStore store, ServeClient remote, string path, string where)
    {
        try { store.ParseStorePath(path); }
        catch (StoreException e) { throw Garbage(remote, $"'{path}' {where} is not a store path of this store ({e.Message})"); }
    }

    /// <summary>A remote's claim about a path, checked for shape: store paths, a SHA-256 NAR hash,
    /// references inside the closure.</summary>
    private static ValidPathInfo ToValidPathInfo(LocalStore store, ServeClient remote, ServePathInfo si, HashSet<string> closure)
    {
        string narHash;
        try
        {
            var h = Hash.ParseAnyPrefixed(si.NarHash);
            if (h.Type != HashType.Sha256) throw new HashFormatException($"it is {h.AlgorithmName}, not sha256");
            narHash = ValidPathInfo.FormatNarHash(h.Bytes);
        }
        catch (HashFormatException e) { throw Garbage(remote, $"the NAR hash '{si.NarHash}' of '{si.Path}' is not valid: {e.Message}"); }
        foreach (var r in si.References)
        {
            CheckStorePath(store, remote, r, $"among the references of '{si.Path}'");
            if (!closure.Contains(r)) throw Garbage(remote, $"'{si.Path}' refers to '{r}', which is not in the closure it sent");
        }
        if (si.Deriver is { } d) CheckStorePath(store, remote, d, $"as the deriver of '{si.Path}'");
        if (si.NarSize > long.MaxValue) throw Garbage(remote, $"the NAR size of '{si.Path}' is {si.NarSize}");
        return new ValidPathInfo
        {
            Path = si.Path, NarHash = narHash, NarSize = (long)si.NarSize, Deriver = si.Deriver,
            References = ValidPathInfo.PathSet(si.References), ContentAddress = si.ContentAddress,
            Signatures = System.Collections.Immutable.ImmutableSortedSet.CreateRange(StringComparer.Ordinal, si.Signatures),
        };
    }

    /// <summary>The paths with every path after the paths (among them) it refers to. Iterative, so
    /// deep chains do not exhaust the stack; a cycle is the remote's lie.</summary>
    private static List<string> SortReferencesFirst(List<string> paths, Dictionary<string, ValidPathInfo> infos, ServeClient remote)
    {
        var sorted = new List<string>(paths.Count);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the stack, true: done
        var stack = new Stack<(string Path, IEnumerator<string> Refs)>();
        foreach (var root in paths)
        {
            if (state.ContainsKey(root)) continue;
            state[root] = false;
            stack.Push((root, infos[root].References.GetEnumerator()));
            while (stack.Count > 0)
            {
                var (p, refs) = stack.Peek();
                if (refs.MoveNext())
                {
                    var r = refs.Current;
                    if (r == p || !infos.ContainsKey(r)) continue;
                    if (state.TryGetValue(r, out var done))
                    {
                        if (!done) throw Garbage(remote, $"the references of '{p}' and '{r}' form a cycle");
                        continue;
                    }
                    state[r] = false;
                    stack.Push((r, infos[r].References.GetEnumerator()));
                }
                else
                {
                    stack.Pop();
                    state[p] = true;
                    sorted.Add(p);
                }
            }
        }
        return sorted;
    }
}
