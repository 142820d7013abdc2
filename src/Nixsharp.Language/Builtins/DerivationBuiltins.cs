// derivationStrict: turns a set of attributes into a store derivation, as Nix 2.8 does — the
// environment, the inputs gathered from string contexts, and the output and .drv paths.
namespace Nixsharp.Language.Builtins;

using System.Text;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.Hashes;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Output;
using Nixsharp.Language.Syntax;

internal static class DerivationBuiltins
{
    public static Value DerivationStrict(EvalState st, Value arg, Pos pos)
    {
        var args = st.ForceAttrs(arg, pos);
        var nameV = AttrBuiltins.Need(st, "derivationStrict", st.S.Name, args, pos);
        var posDrvName = args.PosOf(args.IndexOf(st.S.Name));
        string drvName;
        try { drvName = st.ForceStringNoContext(nameV, pos); }
        catch (NixError e) when (e is not StackOverflowError)
        {
            e.AddTrace(posDrvName, "while evaluating the derivation attribute 'name'");
            throw;
        }
        return Build(st, args, drvName, pos, posDrvName);
    }

    private static Value Build(EvalState st, AttrsValue args, string drvName, Pos pos, Pos posDrvName)
    {
        var store = st.Host.Store ?? throw new EvalError("'builtins.derivationStrict' needs a store, and this evaluator has none", pos);
        bool structured = args.Get(st.S.StructuredAttrs) is { } sa && st.ForceBool(sa, pos);
        bool ignoreNulls = args.Get(st.S.Ignore) is { } ign && st.ForceBool(ign, pos);

        var drv = new Derivation { Name = drvName };
        var ctx = new ContextBuilder();
        string? outputHash = null, outputHashAlgo = null;
        bool? recursive = null;
        var outputs = new List<string> { "out" };
        var json = structured ? new StringBuilder("{") : null;
        bool firstJson = true;

        void HandleHashMode(string s)
        {
            recursive = s switch
            {
                "recursive" => true,
                "flat" => false,
                _ => throw new EvalError($"invalid value '{s}' for 'outputHashMode' attribute", posDrvName),
            };
        }

        void HandleOutputs(IEnumerable<string> names)
        {
            outputs.Clear();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var j in names)
            {
                if (!seen.Add(j)) throw new EvalError($"duplicate derivation output '{j}'", posDrvName);
                if (j == "drv") throw new EvalError("invalid derivation output name 'drv'", posDrvName);
                outputs.Add(j);
            }
            if (outputs.Count == 0) throw new EvalError("derivation cannot have an empty set of outputs", posDrvName);
        }

        foreach (var idx in args.LexicographicOrder())
        {
            var key = args.Names[idx].Name;
            try
            {
                AddAttribute(key, args.Values[idx]);
            }
            catch (NixError e) when (e is not StackOverflowError)
            {
                e.AddTrace(posDrvName, $"while evaluating the attribute '{key}' of the derivation '{drvName}'");
                throw;
            }
        }

        void AddAttribute(string key, Value value)
        {
            if (key == "__ignoreNulls") return;
            if (ignoreNulls && st.Force(value, pos) is NullValue) return;
            if (key == "__contentAddressed")
                throw new EvalError("experimental Nix feature 'ca-derivations' is disabled; use '--extra-experimental-features ca-derivations' to override", posDrvName);
            if (key == "__impure")
                throw new EvalError("experimental Nix feature 'impure-derivations' is disabled; use '--extra-experimental-features impure-derivations' to override", posDrvName);

            if (key == "args")
            {
                foreach (var item in st.ForceList(value, pos).Items)
                    drv.Args.Add(st.CoerceToString(posDrvName, item, ctx, true, true));
                return;
            }
            if (json is not null)
            {
                if (key == "__structuredAttrs") return;
                if (!firstJson) json.Append(',');
                firstJson = false;
                JsonWriter.AppendString(json, key);
                json.Append(':');
                json.Append(JsonWriter.ToJson(st, value, true, ctx, pos));
                switch (key)
                {
                    case "builder": drv.Builder = st.ForceString(value, pos); break;
                    case "system": drv.Platform = st.ForceStringNoContext(value, pos); break;
                    case "outputHash": outputHash = st.ForceStringNoContext(value, pos); break;
                    case "outputHashAlgo": outputHashAlgo = st.ForceStringNoContext(value, pos); break;
                    case "outputHashMode": HandleHashMode(st.ForceStringNoContext(value, pos)); break;
                    case "outputs":
                        HandleOutputs(st.ForceList(value, pos).Items.Select(v => st.ForceStringNoContext(v, pos)).ToList());
                        break;
                }
                return;
            }
            var s = st.CoerceToString(posDrvName, value, ctx, true, true);
            drv.Env[key] = s;
            switch (key)
            {
                case "builder": drv.Builder = s; break;
                case "system": drv.Platform = s; break;
                case "outputHash": outputHash = s; break;
                case "outputHashAlgo": outputHashAlgo = s; break;
                case "outputHashMode": HandleHashMode(s); break;
                case "outputs": HandleOutputs(s.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)); break;
            }
        }
        if (json is not null) drv.Env["__json"] = json.Append('}').ToString();

        // Inputs come from the contexts of every string that went into the derivation.
        foreach (var el in ctx.Build()?.Items ?? Array.Empty<string>())
        {
            var ce = ContextElement.Parse(el);
            switch (ce.Kind)
            {
                case ContextElementKind.AllOutputs:
                    throw new EvalError($"a dependency on the whole closure of '{ce.Path}' needs a store to read from, which nixsharp's read-only evaluation does not have yet", posDrvName);
                case ContextElementKind.Output:
                    if (!drv.InputDrvs.TryGetValue(ce.Path, out var set))
                        drv.InputDrvs[ce.Path] = set = new SortedSet<string>(StringComparer.Ordinal);
                    set.Add(ce.Output);
                    break;
                default:
                    drv.InputSrcs.Add(el);
                    break;
            }
        }

        if (drv.Builder.Length == 0 && !args.Has(st.S.Builder))
            throw new EvalError("required attribute 'builder' missing", posDrvName);
        if (drv.Platform.Length == 0 && !args.Has(st.S.System))
            throw new EvalError("required attribute 'system' missing", posDrvName);
        if (drvName.EndsWith(".drv", StringComparison.Ordinal))
            throw new EvalError("derivation names are not allowed to end in '.drv'", posDrvName);

        try
        {
            Nixsharp.Formats.StorePaths.StorePathComputer.CheckName(drvName);
        }
        catch (FormatException e)
        {
            throw new EvalError(e.Message, posDrvName);
        }

        ToText(drv);

        if (outputHash is not null)
        {
            if (outputs.Count != 1 || outputs[0] != "out")
                throw new EvalError("multiple outputs are not supported in fixed-output derivations", posDrvName);
            var algoOpt = outputHashAlgo is { Length: > 0 } ? outputHashAlgo : null;
            if (algoOpt is not null && Hashing.SizeOf(algoOpt) < 0) throw new UsageError($"unknown hash algorithm '{algoOpt}'");
            string algo;
            byte[] bytes;
            if (outputHash.Length == 0)
            {
                // An empty hash stands for a fake one, so a first build reports the real hash.
                algo = algoOpt ?? "sha256";
                var zero = Hash.Zero(Hash.ParseType(algo));
                bytes = zero.Bytes.ToArray();
                st.Host.Log($"warning: found empty hash, assuming '{zero.ToString(HashFormat.Sri, true)}'");
            }
            else (algo, bytes) = HashBuiltins.ParseHash(outputHash, algoOpt, posDrvName);
            bool rec = recursive ?? false;
            var outPath = store.Paths.MakeFixedOutputPath(rec, algo, bytes, drvName);
            drv.Env["out"] = outPath;
            drv.Outputs["out"] = new DerivationOutput(outPath, (rec ? "r:" : "") + algo, HashAlgorithms.ToBase16(bytes));
        }
        else
        {
            foreach (var o in outputs)
            {
                drv.Env[o] = "";
                drv.Outputs[o] = new DerivationOutput("", "", "");
            }
            store.Hasher.FillInputAddressedOutputs(drv);
        }

        var drvPathS = store.WriteDerivation(drv);
        var b = new AttrsBuilder(drv.Outputs.Count + 1);
        b.Add(st.S.DrvPath, new StringValue(drvPathS, StringContext.Of("=" + drvPathS)));
        foreach (var (name, o) in drv.Outputs)
            b.Add(st.Symbols.Intern(name), new StringValue(o.Path, StringContext.Of("!" + name + "!" + drvPathS)));
        return b.Build();
    }

    /// <summary>The evaluator's strings hold one byte per char; a Derivation holds text (it is
    /// UTF-8-encoded when written and hashed), so non-ASCII values are decoded once here.</summary>
    private static void ToText(Derivation drv)
    {
        drv.Builder = ByteString.ToUtf16(drv.Builder);
        drv.Platform = ByteString.ToUtf16(drv.Platform);
        for (int i = 0; i < drv.Args.Count; i++) drv.Args[i] = ByteString.ToUtf16(drv.Args[i]);
        // Usually all ASCII: then the environment (sorted by its UTF-8 bytes) stays as it is.
        bool ascii = true;
        foreach (var (k, v) in drv.Env)
        {
            if (!Ascii.IsValid(k) || !Ascii.IsValid(v)) { ascii = false; break; }
        }
        if (ascii) return;
        var env = drv.Env.ToList();
        drv.Env.Clear();
        foreach (var (k, v) in env) drv.Env[ByteString.ToUtf16(k)] = ByteString.ToUtf16(v);
    }
}
