// Arithmetic, bit operations and comparison. Integers are 64-bit; mixing with floats promotes.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class MathBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.AddStrict("__add", (st, x0, y0, pos) =>
        {
            var x = st.Force(x0, pos);
            var y = st.Force(y0, pos);
            if (x is FloatValue || y is FloatValue) return new FloatValue(st.ForceFloat(x, pos) + st.ForceFloat(y, pos));
            return IntValue.Of(st.AddInts(st.ForceInt(x, pos), st.ForceInt(y, pos), pos));
        });
        r.AddStrict("__sub", (st, x0, y0, pos) =>
        {
            var x = st.Force(x0, pos);
            var y = st.Force(y0, pos);
            if (x is FloatValue || y is FloatValue) return new FloatValue(st.ForceFloat(x, pos) - st.ForceFloat(y, pos));
            long i = st.ForceInt(x, pos), j = st.ForceInt(y, pos);
            long res = unchecked(i - j);
            if (st.Settings.IntegerOverflowIsError && ((i ^ j) & (i ^ res)) < 0)
                throw new EvalError($"integer overflow in subtracting {i} - {j}", pos);
            return IntValue.Of(res);
        });
        r.AddStrict("__mul", (st, x0, y0, pos) =>
        {
            var x = st.Force(x0, pos);
            var y = st.Force(y0, pos);
            if (x is FloatValue || y is FloatValue) return new FloatValue(st.ForceFloat(x, pos) * st.ForceFloat(y, pos));
            long i = st.ForceInt(x, pos), j = st.ForceInt(y, pos);
            if (st.Settings.IntegerOverflowIsError)
            {
                try { return IntValue.Of(checked(i * j)); }
                catch (OverflowException) { throw new EvalError($"integer overflow in multiplying {i} * {j}", pos); }
            }
            return IntValue.Of(unchecked(i * j));
        });
        r.AddStrict("__div", (st, x0, y0, pos) =>
        {
            var x = st.Force(x0, pos);
            var y = st.Force(y0, pos);
            double f2 = st.ForceFloat(y, pos);
            if (f2 == 0) throw new EvalError("division by zero", pos);
            if (x is FloatValue || y is FloatValue) return new FloatValue(st.ForceFloat(x, pos) / f2);
            long i = st.ForceInt(x, pos), j = st.ForceInt(y, pos);
            if (i == long.MinValue && j == -1) throw new EvalError("overflow in integer division", pos);
            return IntValue.Of(i / j);
        });
        r.Add("__bitAnd", (st, x0, y0, pos) => IntValue.Of(st.ForceInt(x0, pos) & st.ForceInt(y0, pos)));
        r.Add("__bitOr", (st, x0, y0, pos) => IntValue.Of(st.ForceInt(x0, pos) | st.ForceInt(y0, pos)));
        r.Add("__bitXor", (st, x0, y0, pos) => IntValue.Of(st.ForceInt(x0, pos) ^ st.ForceInt(y0, pos)));
        r.AddStrict("__lessThan", (st, x0, y0, pos) => B.Bool(st.LessThan(x0, y0, pos)));
        r.Add("__ceil", 1, (st, a, pos) => IntValue.Of(ToInt(Math.Ceiling(st.ForceFloat(a[0], pos)))));
        r.Add("__floor", 1, (st, a, pos) => IntValue.Of(ToInt(Math.Floor(st.ForceFloat(a[0], pos)))));
    }

    // C++ converts out-of-range doubles to INT64_MIN on x86-64; keep that rather than throwing.
    private static long ToInt(double d) =>
        double.IsNaN(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18 ? long.MinValue : (long)d;
}
