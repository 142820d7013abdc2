// Reads a store derivation's ATerm text:
//   Derive([outputs],[inputDrvs],[inputSrcs],"platform","builder",[args],[env])
// Every .drv Nix 2.8 writes reads back to a Derivation whose Unparse(false) gives the same bytes.
//
// Nix 2.8's own reader is lenient in ways this one is not, on purpose: it ignores anything after
// the final ')', loops forever on an unterminated string, takes list elements with or without the
// commas between them, silently keeps one of two duplicate keys, and takes any '/'-path as a fixed
// output's path. Here all of those are errors. Like Nix, it takes a backslash before any character
// (only \n, \r and \t mean something else than the character itself) and takes maps in any order.
namespace Nixsharp.Formats.Derivations;

using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.StorePaths;

/// <summary>A .drv file that cannot be read. Offset is where in its bytes the problem is.</summary>
public sealed class DerivationFormatException : FormatException
{
    public long Offset { get; }

    public DerivationFormatException(string problem, long offset) : base($"{problem} at byte {offset}")
    {
        Offset = offset;
    }
}

public static class DerivationParser
{
    /// <summary>No real derivation comes near this; it keeps every string well inside what .NET can hold.</summary>
    public const int MaxSize = 256 * 1024 * 1024;

    /// <summary>Parses a .drv file's bytes.</summary>
    /// <param name="name">The derivation's name: its store path's name without ".drv".</param>
    /// <param name="storeDir">The store the .drv belongs to; every path in it must be in this store.</param>
    /// <exception cref="DerivationFormatException">For any input that is not a well-formed derivation.</exception>
    /// <remarks>The output paths are only checked to be store paths; DerivationHasher.CheckOutputs
    /// checks that they are the ones the derivation should have.</remarks>
    public static Derivation Parse(ReadOnlySpan<byte> drvBytes, string name, string storeDir)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(storeDir);
        try
        {
            StorePathComputer.CheckName(name);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(name));
        }
        if (drvBytes.Length > MaxSize)
            throw new DerivationFormatException($"derivation is larger than {MaxSize} bytes", MaxSize);
        if (!Utf8.IsValid(drvBytes))
            throw new DerivationFormatException("derivation is not valid UTF-8", FirstInvalidUtf8(drvBytes));
        var reader = new Reader(drvBytes, storeDir);
        return reader.ReadDerivation(name);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int pos = 0;
        while (pos < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[pos..], out _, out int consumed) != OperationStatus.Done) return pos;
            pos += consumed;
        }
        return pos;
    }

    private ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _s;
        private readonly string _storeDir;
        private int _pos;

        public Reader(ReadOnlySpan<byte> s, string storeDir)
        {
            _s = s;
            _storeDir = storeDir;
            _pos = 0;
        }

        public Derivation ReadDerivation(string name)
        {
            var drv = new Derivation { Name = name };
            Expect("Derive([");
            if (!TryEndList())
            {
                do ReadOutput(drv); while (NextInList());
            }

            Expect(",[");
            if (!TryEndList())
            {
                do ReadInputDrv(drv); while (NextInList());
            }

            Expect(",[");
            if (!TryEndList())
            {
                do
                {
                    int at = _pos;
                    var path = ReadPath();
                    if (!drv.InputSrcs.Add(path)) throw Error($"duplicate input source '{path}'", at);
                } while (NextInList());
            }

            Expect(",");
            drv.Platform = ReadString();
            Expect(",");
            drv.Builder = ReadString();

            Expect(",[");
            if (!TryEndList())
            {
                do drv.Args.Add(ReadString()); while (NextInList());
            }

            Expect(",[");
            if (!TryEndList())
            {
                do
                {
                    Expect("(");
                    int at = _pos;
                    var key = ReadString();
                    Expect(",");
                    var value = ReadString();
                    Expect(")");
                    if (!drv.Env.TryAdd(key, value)) throw Error($"duplicate environment variable '{key}'", at);
                } while (NextInList());
            }

            Expect(")");
            if (_pos != _s.Length) throw Error("unexpected data after the end of the derivation", _pos);
            return drv;
        }

        private void ReadOutput(Derivation drv)
        {
            Expect("(");
            int at = _pos;
            var id = ReadOutputName();
            Expect(",");
            int pathAt = _pos;
            var path = ReadString();
            Expect(",");
            int algoAt = _pos;
            var algo = ReadString();
            Expect(",");
            int hashAt = _pos;
            var hash = ReadString();
            Expect(")");

            DerivationOutput output;
            if (algo.Length == 0)
            {
                if (hash.Length != 0) throw Error($"output '{id}' has a hash but no hash algorithm", hashAt);
                // An empty path is a deferred output (its path depends on content-addressed inputs).
                if (path.Length != 0) CheckPath(path, pathAt);
                output = new DerivationOutput(path, "", "");
            }
            else
            {
                bool recursive = algo.StartsWith("r:", StringComparison.Ordinal);
                if (!Hash.TryParseType(recursive ? algo.AsSpan(2) : algo, out var type))
                    throw Error($"unknown hash algorithm '{(recursive ? algo[2..] : algo)}'", algoAt);
                // Floating and impure outputs need experimental features that Nix 2.8 has off, and nixsharp lacks.
                if (hash == "impure")
                    throw Error("experimental Nix feature 'impure-derivations' is disabled; use '--extra-experimental-features impure-derivations' to override", hashAt);
                if (hash.Length == 0)
                    throw Error("experimental Nix feature 'ca-derivations' is disabled; use '--extra-experimental-features ca-derivations' to override", hashAt);
                Hash parsed;
                try
                {
                    parsed = Hash.ParseNonSriUnprefixed(hash, type);
                }
                catch (HashFormatException e)
                {
                    throw Error(e.Message, hashAt);
                }
                CheckPath(path, pathAt);
                // Nix reads any encoding here but writes (and hashes) base 16.
                output = new DerivationOutput(path, algo, parsed.ToString(HashFormat.Base16, false));
            }
            if (!drv.Outputs.TryAdd(id, output)) throw Error($"duplicate output '{id}'", at);
        }

        private void ReadInputDrv(Derivation drv)
        {
            Expect("(");
            int at = _pos;
            var path = ReadPath();
            if (!path.EndsWith(".drv", StringComparison.Ordinal))
                throw Error($"input derivation '{path}' is not a .drv file", at);
            Expect(",[");
            var outputs = new SortedSet<string>(StringComparer.Ordinal);
            if (!TryEndList())
            {
                do
                {
                    int outAt = _pos;
                    var output = ReadOutputName();
                    if (!outputs.Add(output)) throw Error($"duplicate output '{output}' of input derivation '{path}'", outAt);
                } while (NextInList());
            }
            Expect(")");
            if (!drv.InputDrvs.TryAdd(path, outputs)) throw Error($"duplicate input derivation '{path}'", at);
        }

        /// <summary>An output name becomes part of a store path name, so it follows those rules.</summary>
        private string ReadOutputName()
        {
            int at = _pos;
            var id = ReadString();
            if (id.Length == 0) throw Error("empty output name", at);
            foreach (var c in id)
            {
                if (!StorePathComputer.IsNameChar(c)) throw Error($"output name '{id}' contains illegal character '{c}'", at);
            }
            return id;
        }

        private string ReadPath()
        {
            int at = _pos;
            var path = ReadString();
            CheckPath(path, at);
            return path;
        }

        private readonly void CheckPath(string path, int at)
        {
            if (path.Length == 0 || path[0] != '/') throw Error($"bad path '{path}' in derivation", at);
            if (StorePathComputer.StorePathError(_storeDir, path) is { } problem) throw Error(problem, at);
        }

        /// <summary>A quoted string. A backslash takes the next byte as it is, except n, r and t.</summary>
        private string ReadString()
        {
            int start = _pos;
            Expect("\"");
            int contentStart = _pos;
            bool escaped = false;
            int end = contentStart;
            while (true)
            {
                if (end >= _s.Length) throw Error("unterminated string", start);
                byte b = _s[end];
                if (b == '"') break;
                if (b == '\\')
                {
                    escaped = true;
                    end++;
                    if (end >= _s.Length) throw Error("unterminated string", start);
                }
                end++;
            }
            _pos = end + 1;
            var raw = _s[contentStart..end];
            if (!escaped) return Encoding.UTF8.GetString(raw);

            // Dropping backslashes (ASCII) and turning n, r, t into control characters keeps the
            // already checked UTF-8 valid.
            var buffer = ArrayPool<byte>.Shared.Rent(raw.Length);
            try
            {
                int n = 0;
                for (int i = 0; i < raw.Length; i++)
                {
                    byte b = raw[i];
                    if (b == '\\')
                    {
                        b = raw[++i];
                        b = b switch { (byte)'n' => (byte)'\n', (byte)'r' => (byte)'\r', (byte)'t' => (byte)'\t', _ => b };
                    }
                    buffer[n++] = b;
                }
                return Encoding.UTF8.GetString(buffer, 0, n);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void Expect(string literal)
        {
            var rest = _s[_pos..];
            for (int i = 0; i < literal.Length; i++)
            {
                if (i >= rest.Length)
                    throw Error($"unexpected end of derivation, expected string '{literal}'", _pos);
                if (rest[i] != literal[i])
                    throw Error($"expected string '{literal}'", _pos);
            }
            _pos += literal.Length;
        }

        /// <summary>After '[': true (and past it) if the list is empty.</summary>
        private bool TryEndList()
        {
            if (_pos < _s.Length && _s[_pos] == ']')
            {
                _pos++;
                return true;
            }
            return false;
        }

        /// <summary>After an element: true past a ',', false past the closing ']'.</summary>
        private bool NextInList()
        {
            if (_pos < _s.Length)
            {
                byte b = _s[_pos];
                if (b == ',' || b == ']')
                {
                    _pos++;
                    return b == ',';
                }
            }
            throw Error(_pos >= _s.Length ? "unexpected end of derivation, expected string ',' or ']'" : "expected string ',' or ']'", _pos);
        }

        private static DerivationFormatException Error(string problem, int offset) => new(problem, offset);
    }
}
