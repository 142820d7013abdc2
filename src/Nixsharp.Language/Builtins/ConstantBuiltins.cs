// Global constants: true/false/null, versions, the system, the search path.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;

internal static class ConstantBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        var st = r.State;
        var set = st.Settings;
        r.Constant("true", BoolValue.True);
        r.Constant("false", BoolValue.False);
        r.Constant("null", NullValue.Instance);
        if (!set.PureEval)
        {
            r.Constant("__currentTime", IntValue.Of(set.CurrentTime));
            r.Constant("__currentSystem", StringValue.Of(set.CurrentSystem));
        }
        r.Constant("__nixVersion", StringValue.Of(set.NixVersion));
        r.Constant("__storeDir", StringValue.Of(set.StoreDir));
        r.Constant("__langVersion", IntValue.Of(6));
        var items = new List<Value>();
        foreach (var (prefix, path) in set.SearchPath)
        {
            items.Add(new AttrsBuilder(2)
                .Add(st.S.Path, StringValue.Of(path))
                .Add(st.S.Prefix, StringValue.Of(prefix))
                .Build());
        }
        r.Constant("__nixPath", ListValue.Of(items.ToArray()));
    }
}
