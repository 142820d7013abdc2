// Repairing a valid path: its contents are replaced by a good copy (from a substituter's NAR or a
// rebuild) without the path ever being absent or half-written. The copy is put beside the path
// under a name with the same hash part (PATH.repair: the collector treats it as the path, which
// has a temporary root, so it is not collected meanwhile), checked there, then swapped in with one
// renameat2(RENAME_EXCHANGE); what was swapped out is deleted. A crash before the swap leaves the
// old contents and a stray PATH.repair (cleared by the next repair or by the collector); a crash
// after it leaves the new contents and a stray PATH.repair holding the old ones. Where the kernel
// cannot exchange, two renames are used, with PATH.old put back by the next repair if a crash came
// between them.
namespace Nixsharp.Store.Local;

using Nixsharp.Formats.Hashes;
using Nixsharp.Store.Database;

public sealed partial class LocalStore
{
    /// <summary>Where a path's replacement is prepared (and where its old contents briefly go).</summary>
    public static string RepairSuffix => ".repair";
    private const string OldSuffix = ".old";

    /// <summary>Whether `path`'s contents are what the database records (false if it is missing).</summary>
    public bool ContentsGood(string path)
    {
        var info = QueryPathInfo(path) ?? throw new StoreException($"path '{path}' is not valid");
        var real = ToRealPath(path);
        if (Posix.LStat(real) is null) return false;
        var (hash, _) = HashNar(real);
        return string.Equals(info.NarHash, ValidPathInfo.FormatNarHash(hash), StringComparison.Ordinal);
    }

    /// <summary>Repairs valid `path` from a NAR of it (a substituter's): the NAR is restored beside
    /// the path and must have the hash the database records (a substitute of other contents is
    /// refused, and nothing changes); only then is it swapped in. Takes the path's lock.</summary>
    public void RepairFromNar(string path, Action<Action<Stream>> supplyNar)
    {
        AddTempRoot(path);
        var real = ToRealPath(path);
        using var locks = PathLocks.Acquire(new[] { real }, wait: true,
            waiting: p => Log($"waiting for lock on '{path}'..."))!;
        var info = QueryPathInfo(path) ?? throw new StoreException($"cannot repair path '{path}': it is not valid");
        RecoverInterruptedSwap(real);
        var staging = real + RepairSuffix;
        StoreFiles.DeleteTree(staging);
        try
        {
            bool supplied = false;
            supplyNar(nar =>
            {
                if (supplied) throw new InvalidOperationException("a NAR was supplied twice");
                supplied = true;
                // Checks the hash and size the database records, canonicalises, checks a content address.
                RestoreNar(info, nar, staging);
            });
            if (!supplied) throw new StoreException($"no NAR was supplied for '{path}'");
            SwapIn(real, staging);
        }
        catch
        {
            try { StoreFiles.DeleteTree(staging); } catch (IOException) { }
            locks.SetDeletion(true);
            throw;
        }
        // The path stays valid: every later locker finds nothing to do, so the lock file can go.
        locks.SetDeletion(true);
    }

    /// <summary>Replaces the contents of valid `path` with the tree at `newTree` (anywhere on the
    /// store's file system, canonicalised already). The caller holds the path's lock. Without
    /// `reregisterAs`, the new tree must have the recorded NAR hash; with it (a rebuild that came out
    /// different), it must have that info's hash, and the path is registered anew with it once the
    /// new contents are in place. When anything is refused, the path is left as it was and
    /// `newTree` is deleted.</summary>
    public void ReplaceValidPathContentsLocked(string path, string newTree, ValidPathInfo? reregisterAs = null)
    {
        AddTempRoot(path);
        var info = QueryPathInfo(path) ?? throw new StoreException($"cannot repair path '{path}': it is not valid");
        if (reregisterAs is not null && reregisterAs.Path != path) throw new ArgumentException("registration for another path", nameof(reregisterAs));
        var real = ToRealPath(path);
        RecoverInterruptedSwap(real);
        var staging = real + RepairSuffix;
        try
        {
            if (newTree != staging)
            {
                StoreFiles.DeleteTree(staging);
                MoveTree(newTree, staging);
            }
            var (hash, size) = HashNar(staging);
            var got = ValidPathInfo.FormatNarHash(hash);
            var wanted = reregisterAs?.NarHash ?? info.NarHash;
            if (!string.Equals(got, wanted, StringComparison.Ordinal))
                throw new StoreException($"the new contents of '{path}' have hash '{ValidPathInfo.ShowNarHash(got)}', not the expected '{ValidPathInfo.ShowNarHash(wanted)}'");
            SwapIn(real, staging);
            // A crash between the swap and this leaves the new contents under the old hash: verify
            // reports the path as modified, and another repair puts it right.
            if (reregisterAs is not null && reregisterAs != info) Register(new[] { reregisterAs with { NarSize = size } });
        }
        catch
        {
            try { StoreFiles.DeleteTree(staging); StoreFiles.DeleteTree(newTree); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Puts the checked tree at `staging` in place of `real` (which may be missing) in one
    /// step where the kernel allows, and deletes the old contents.</summary>
    private static void SwapIn(string real, string staging)
    {
        if (Posix.LStat(real) is null)
        {
            Posix.Rename(staging, real);
            return;
        }
        if (!Posix.TryExchange(staging, real))
        {
            // No atomic exchange here: the old contents go aside first; RecoverInterruptedSwap
            // puts them back if a crash comes before the second rename.
            var old = real + OldSuffix;
            StoreFiles.DeleteTree(old);
            Posix.Rename(real, old);
            Posix.Rename(staging, real);
            staging = old;
        }
        StoreFiles.DeleteTree(staging);
    }

    /// <summary>After a crash between the two renames of the fallback swap the path is missing and
    /// its old contents are at PATH.old: they go back (still damaged, but as they were).</summary>
    private static void RecoverInterruptedSwap(string real)
    {
        var old = real + OldSuffix;
        if (Posix.LStat(old) is null) return;
        if (Posix.LStat(real) is null) Posix.Rename(old, real);
        else StoreFiles.DeleteTree(old);
    }

    /// <summary>Renames a tree within the store's file system; a read-only directory is made
    /// writable for the move when not root (moving it to another directory updates its "..").</summary>
    private static void MoveTree(string from, string to)
    {
        var st = Posix.LStat(from) ?? throw new StoreException($"'{from}' does not exist");
        bool changePerm = Posix.GetEuid() != 0 && st.IsDirectory && (st.Mode & 0x80) == 0;
        if (changePerm) File.SetUnixFileMode(from, (UnixFileMode)(st.Permissions | 0x80));
        Posix.Rename(from, to);
        if (changePerm) File.SetUnixFileMode(to, (UnixFileMode)st.Permissions);
    }
}
