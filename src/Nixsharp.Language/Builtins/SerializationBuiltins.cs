// toJSON/fromJSON, toXML and fromTOML.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Output;

internal static class SerializationBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__toJSON", 1, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var s = JsonWriter.ToJson(st, a[0], true, ctx, pos);
            return new StringValue(s, ctx.Build());
        });
        r.Add("__fromJSON", 1, (st, a, pos) =>
        {
            var s = st.ForceString(a[0], pos);
            try
            {
                return JsonReader.Parse(st, s);
            }
            catch (JsonParseException e)
            {
                var err = new EvalError(e.Message);
                err.AddTrace(pos, "while decoding a JSON string");
                throw err;
            }
        });
        r.Add("__toXML", 1, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var s = XmlWriter.ToXml(st, a[0], true, false, ctx, pos);
            return new StringValue(s, ctx.Build());
        });
        r.Add("fromTOML", 1, (st, a, pos) =>
        {
            var s = st.ForceString(a[0], pos);
            return TomlConversion.ToValue(st, s, pos);
        });
    }
}
