// Importing paths from NARs that come with their claimed path info (copying from a binary cache or
// another machine). A closure is imported as one unit: every path is restored and checked under
// its lock, and only when all of them are in place are they registered, in one transaction; if
// anything fails, nothing of the batch stays, neither rows nor files.
namespace Nixsharp.Store.Local;

using System.Security.Cryptography;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Store.Database;

public sealed partial class LocalStore
{
    /// <summary>Imports `infos` (in any order; references must be in the batch or valid already).
    /// For each path not yet valid, `supplyNar(info, restore)` is called, and must call `restore`
    /// once with the path's NAR; whatever it throws (a check of its own after the NAR) refuses the
    /// whole batch. With `parallelism` above 1, up to that many NARs are supplied and restored at
    /// once (on pool threads; `supplyNar` must allow that); the batch still registers as one unit.
    /// Returns the paths that were added.</summary>
    public IReadOnlyList<string> AddFromNars(IReadOnlyList<ValidPathInfo> infos, Action<ValidPathInfo, Action<Stream>> supplyNar,
        int parallelism = 1)
    {
        var batch = new Dictionary<string, ValidPathInfo>(StringComparer.Ordinal);
        foreach (var info in infos)
        {
            ParseStorePath(info.Path);
            foreach (var r in info.References) ParseStorePath(r);
            if (info.Deriver is { } d) ParseStorePath(d);
            if (!batch.TryAdd(info.Path, info)) throw new StoreException($"path '{info.Path}' is listed twice in one import");
            if (info.ContentAddress is { } ca && !ContentAddressGives(ca, info.Path, info.References))
                throw new StoreException($"cannot add path '{info.Path}' because it claims to be content-addressed ('{ca}') but is not");
        }
        foreach (var info in infos)
        {
            AddTempRoot(info.Path);
            foreach (var r in info.References)
            {
                if (!batch.ContainsKey(r) && !IsValidPath(r))
                    throw new StoreException($"cannot add path '{info.Path}': it refers to '{r}', which is neither valid nor being added");
            }
        }
        var todo = infos.Where(i => !IsValidPath(i.Path)).ToList();
        if (todo.Count == 0) return [];
        using var locks = PathLocks.Acquire(todo.Select(i => ToRealPath(i.Path)), wait: true,
            waiting: p => Log($"waiting for lock on '{p}'..."))!;
        // Someone else may have added some while we waited for the locks.
        todo = todo.Where(i => !IsValidPath(i.Path)).ToList();
        var restored = new List<string>();
        try
        {
            var final = new ValidPathInfo[todo.Count];
            foreach (var info in todo)
            {
                var real = ToRealPath(info.Path);
                // Whatever is there is a leftover of an interrupted writer.
                StoreFiles.DeleteTree(real);
                restored.Add(real);
            }
            void RestoreOne(int i)
            {
                var info = todo[i];
                long? size = null;
                supplyNar(info, nar =>
                {
                    if (size is not null) throw new InvalidOperationException("a NAR was supplied twice");
                    size = RestoreNar(info, nar, restored[i]);
                });
                if (size is null) throw new StoreException($"no NAR was supplied for '{info.Path}'");
                final[i] = info with { NarSize = size.Value };
            }
            if (parallelism <= 1 || todo.Count == 1)
                for (int i = 0; i < todo.Count; i++) RestoreOne(i);
            else
                RunInParallel(todo.Count, parallelism, RestoreOne);
            try { Register(final); }
            catch (ArgumentException e)
            {
                // Something the database refuses that the checks above did not foresee: still the
                // input's fault, not a crash.
                throw new StoreException(e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message);
            }
        }
        catch
        {
            foreach (var real in restored)
            {
                try { StoreFiles.DeleteTree(real); } catch (IOException) { }
            }
            locks.SetDeletion(true);
            throw;
        }
        locks.SetDeletion(true);
        return todo.Select(i => i.Path).ToList();
    }

    /// <summary>Runs `body(0..count-1)` on up to `parallelism` threads. After a failure no new item
    /// starts; of the failures, the one of the lowest item is rethrown as it was thrown (so that the
    /// error a user sees does not depend on timing more than it must).</summary>
    private static void RunInParallel(int count, int parallelism, Action<int> body)
    {
        var errors = new Exception?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, (i, state) =>
        {
            try { body(i); }
            catch (Exception e)
            {
                errors[i] = e;
                state.Stop();
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } first)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
    }

    /// <summary>Restores a NAR at `real` while hashing it; refuses it (leaving the caller to remove
    /// what was written) unless its hash and size are the claimed ones and a content address, if
    /// claimed, holds. Returns the NAR's size.</summary>
    private long RestoreNar(ValidPathInfo info, Stream nar, string real)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reader = new HashingReadStream(nar, h);
        try
        {
            NarReader.Parse(reader, new NarRestorer(real));
        }
        catch (FormatException e)
        {
            throw new StoreException($"the NAR of path '{info.Path}' is not valid: {e.Message}");
        }
        catch (EndOfStreamException)
        {
            throw new StoreException($"the NAR of path '{info.Path}' is truncated (after {reader.BytesRead} bytes)");
        }
        var actualBytes = h.GetHashAndReset();
        var actual = ValidPathInfo.FormatNarHash(actualBytes);
        if (!string.Equals(info.NarHash, actual, StringComparison.Ordinal))
        {
            // Shown in base 32, as Nix shows NAR hashes.
            var specified = ValidPathInfo.ShowNarHash(info.NarHash);
            var got = new Hash(HashType.Sha256, actualBytes).ToString(HashFormat.Base32, true);
            throw new StoreException($"hash mismatch importing path '{info.Path}';\n  specified: {specified}\n  got:       {got}");
        }
        if (info.NarSize != 0 && info.NarSize != reader.BytesRead)
            throw new StoreException($"size mismatch importing path '{info.Path}';\n  specified: {info.NarSize}\n  got:       {reader.BytesRead}");
        StoreFiles.Canonicalise(real);
        CheckContentAddress(info, real);
        return reader.BytesRead;
    }

    /// <summary>Whether content address `ca` (with these references) gives exactly `storePath`: then
    /// the path proves its contents, which the store checks when it adds them.</summary>
    public bool ContentAddressGives(string ca, string storePath, IEnumerable<string> references) =>
        StorePathText.PathFromContentAddress(StoreDir, ca, storePath, references) == storePath;

    /// <summary>Adds signatures to a valid path (as `nix store sign` does).</summary>
    public void AddSignatures(string storePath, IEnumerable<string> signatures)
    {
        Db.AddSignatures(storePath, signatures);
        lock (_infoCache) _infoCache.Remove(storePath);
    }
}
