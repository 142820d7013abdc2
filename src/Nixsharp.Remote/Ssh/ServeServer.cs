// The server side of the serve protocol (`nixsharp store serve`, what ssh runs for `nix copy --to
// ssh://…` and nix-copy-closure): commands on one stream, answers on another, on the local store.
// As in Nix, a failed command ends the session with the error on stderr (the client sees the
// connection close and shows that message); nothing of a refused or truncated path is registered.
namespace Nixsharp.Remote.Ssh;

using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Serve;
using Nixsharp.Formats.Streams;
using Nixsharp.Formats.Wire;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

public sealed class ServeServer
{
    private readonly LocalStore _store;
    private readonly bool _writeAllowed;

    public ServeServer(LocalStore store, bool writeAllowed)
    {
        _store = store;
        _writeAllowed = writeAllowed;
    }

    /// <summary>Serves until the client closes its end between commands.</summary>
    public void Run(Stream input, Stream output)
    {
        ServeProtocol.ReadClientMagic(input);
        ServeProtocol.WriteServerHello(output);
        output.Flush();
        var clientVersion = ServeProtocol.ReadClientVersion(input);
        while (ServeProtocol.ReadCommand(input) is { } cmd)
        {
            Serve(cmd, clientVersion, input, output);
            output.Flush();
        }
    }

    private void Serve(ServeCommand cmd, uint clientVersion, Stream input, Stream output)
    {
        switch (cmd)
        {
            case ServeCommand.QueryValidPaths:
            {
                var (lockPaths, _, paths) = ServeProtocol.ReadQueryValidPathsArgs(input);
                // Substitution is not asked of nixsharp's store: it has no substituters here.
                var valid = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var p in paths)
                {
                    _store.ParseStorePath(p);
                    if (lockPaths && _writeAllowed) _store.AddTempRoot(p);
                    if (_store.IsValidPath(p)) valid.Add(p);
                }
                WireStream.WriteStrings(output, valid);
                break;
            }
            case ServeCommand.QueryPathInfos:
            {
                // Answered in the order of a set of paths, as Nix answers (byte order of the names).
                foreach (var p in new SortedSet<string>(ServeProtocol.ReadPaths(input, "the paths to describe"), StringComparer.Ordinal))
                {
                    if (_store.QueryPathInfo(_store.ParseStorePath(p)) is not { } info) continue;
                    ServeProtocol.WritePathInfo(output, new ServePathInfo(
                        info.Path, info.Deriver, info.References.ToList(), (ulong)info.NarSize, (ulong)info.NarSize,
                        Hash.ParseAnyPrefixed(info.NarHash).ToString(HashFormat.Base32, includeAlgo: true),
                        info.ContentAddress, info.Signatures.ToList()), clientVersion);
                }
                WireStream.WriteString(output, "");
                break;
            }
            case ServeCommand.DumpStorePath:
            {
                var p = _store.ParseStorePath(ServeProtocol.ReadPath(input, "the path to dump"));
                _store.QueryValidPathInfo(p);
                _store.DumpPath(p, output);
                break;
            }
            case ServeCommand.ImportPaths:
                RequireWrite("importing paths");
                _store.ImportPaths(input);
                ServeProtocol.WriteSuccess(output);
                break;
            case ServeCommand.ExportPaths:
            {
                WireStream.ReadU64(input, "the obsolete signing flag");
                var paths = ServeProtocol.ReadPaths(input, "the paths to export").Select(_store.ParseStorePath).ToList();
                foreach (var p in paths) _store.QueryValidPathInfo(p);
                _store.ExportPaths(paths, output);
                break;
            }
            case ServeCommand.QueryClosure:
            {
                var includeOutputs = ServeProtocol.ReadBool(input, "the include-outputs flag");
                var paths = ServeProtocol.ReadPaths(input, "the paths").Select(_store.ParseStorePath).ToList();
                foreach (var p in paths) _store.QueryValidPathInfo(p);
                WireStream.WriteStrings(output, new SortedSet<string>(_store.ComputeClosure(paths, includeOutputs), StringComparer.Ordinal));
                break;
            }
            case ServeCommand.AddToStoreNar:
                RequireWrite("importing paths");
                AddToStoreNar(input);
                ServeProtocol.WriteSuccess(output);
                break;
            case ServeCommand.BuildPaths:
            {
                var paths = ServeProtocol.ReadPaths(input, "the paths to build");
                ServeProtocol.ReadBuildOptions(input, clientVersion);
                // Answered in the protocol, so the client shows the reason: status, then message.
                WireStream.WriteU64(output, 1);
                WireStream.WriteString(output, $"nixsharp store serve does not build derivations (asked to build {string.Join(", ", paths.Select(p => $"'{p}'"))}); " +
                                               "build them where the store is, or copy their outputs here");
                break;
            }
            case ServeCommand.BuildDerivation:
            {
                var drvPath = ServeProtocol.SkipBasicDerivation(input);
                ServeProtocol.ReadBuildOptions(input, clientVersion);
                ServeProtocol.WriteBuildResultFailure(output, clientVersion, ServeProtocol.BuildStatusMiscFailure,
                    $"nixsharp store serve does not build derivations (asked to build '{drvPath}'); build it where the store is, or copy its outputs here");
                break;
            }
        }
    }

    private void RequireWrite(string what)
    {
        if (!_writeAllowed) throw new StoreException($"{what} is not allowed (the server runs without --write)");
    }

    /// <summary>A path's info, then exactly NarSize bytes of NAR: restored and checked against the
    /// info before anything is registered (LocalStore.AddFromNar).</summary>
    private void AddToStoreNar(Stream input)
    {
        var r = ServeProtocol.ReadAddToStoreNarArgs(input);
        _store.ParseStorePath(r.Path);
        if (r.NarSize == 0) throw new StoreException($"the info of '{r.Path}' has no NAR size (the client is too old)");
        if (r.NarSize > long.MaxValue) throw new WireFormatException($"the NAR size of '{r.Path}' is {r.NarSize}");
        Hash narHash;
        try { narHash = Hash.ParseAny(r.NarHash, HashType.Sha256); }
        catch (HashFormatException e) { throw new WireFormatException($"the NAR hash of '{r.Path}' is not valid: {e.Message}"); }
        if (r.Deriver is { } d) _store.ParseStorePath(d);
        var info = new ValidPathInfo
        {
            Path = r.Path, NarHash = ValidPathInfo.FormatNarHash(narHash.Bytes), NarSize = (long)r.NarSize, Deriver = r.Deriver,
            References = ValidPathInfo.PathSet(r.References), ContentAddress = r.ContentAddress,
            Signatures = System.Collections.Immutable.ImmutableSortedSet.CreateRange(StringComparer.Ordinal, r.Signatures),
            // Not "ultimate": this store did not build it, whatever the sender says.
        };
        var nar = new LengthLimitedStream(input, (long)r.NarSize);
        _store.AddFromNar(info, nar);
        // Already valid here (AddFromNar read nothing): the NAR is still on the wire.
        nar.Drain();
    }
}

/// <summary>Reads at most a given number of bytes from a stream (a NAR embedded in the protocol).</summary>
internal sealed class LengthLimitedStream : ReadOnlyStream
{
    private readonly Stream _inner;
    public long Remaining { get; private set; }
    public LengthLimitedStream(Stream inner, long length) { _inner = inner; Remaining = length; }
    public override int Read(Span<byte> buffer)
    {
        if (Remaining == 0) return 0;
        int n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, Remaining)]);
        Remaining -= n;
        return n;
    }

    /// <summary>Reads the rest, failing if the stream ends first.</summary>
    public void Drain()
    {
        var buffer = new byte[1 << 16];
        while (Remaining > 0)
            if (Read(buffer) == 0) throw new WireFormatException($"unexpected end of input ({Remaining} bytes of a NAR missing)");
    }
}
