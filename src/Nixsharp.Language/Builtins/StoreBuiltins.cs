// Builtins that need a Nix store. Their names exist now so code can test for them; calling one
// without a store backend is a clear "not supported yet" error. `placeholder` needs only hashing.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;

internal static class StoreBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        foreach (var (name, arity) in new[]
        {
            ("derivationStrict", 1), ("__toFile", 2), ("__filterSource", 2), ("__path", 1),
            ("__storePath", 1), ("__fetchurl", 1), ("fetchTarball", 1), ("fetchGit", 1),
            ("fetchMercurial", 1), ("fetchTree", 1), ("__fetchClosure", 1), ("__hashFile", 2),
            ("__addDrvOutputDependencies", 1),
        })
        {
            var shortName = name.TrimStart('_');
            r.Add(name, arity, (st, a, pos) =>
                throw new EvalError($"'builtins.{shortName}' is not supported yet: it needs the Nix store, which this version of nixsharp does not implement", pos));
        }
        r.Add("placeholder", 1, (st, a, pos) =>
        {
            var output = st.ForceStringNoContext(a[0], pos);
            return StringValue.Of(Hashing.Placeholder(output));
        });
        // `derivation` is written in Nix on top of derivationStrict, as in Nix itself.
        r.Constant("derivation", new LazyThunk(st => st.EvalDerivationWrapper()));
    }
}
