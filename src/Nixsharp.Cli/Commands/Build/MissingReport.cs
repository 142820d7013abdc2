// What nix-build and nix-store --realise print before they start: the derivations to build, then
// the paths to fetch with their sizes in MiB, then (realise only) the paths that can be neither.
namespace Nixsharp.Cli.Commands.Build;

using System.Globalization;
using System.Numerics;
using System.Text;
using Nixsharp.Builder.Scheduling;

public static class MissingReport
{
    /// <summary>Prints the "will be built", "will be fetched" and "don't know how to build" blocks,
    /// in that order (as Nix does).</summary>
    public static void Print(CliIo io, MissingPaths missing)
    {
        BuildFlags.PrintMissing(io, missing.WillBuild);
        PrintFetched(io, missing);
        if (missing.Unknown.Count > 0)
            io.Err(Store.StoreCommand.Encode("don't know how to build these paths:\n" + string.Concat(missing.Unknown.Select(u => "  " + u + "\n"))));
    }

    private static void PrintFetched(CliIo io, MissingPaths missing)
    {
        if (missing.WillSubstitute.Count == 0) return;
        var sizes = $"({MiB(missing.DownloadSize)} MiB download, {MiB(missing.NarSize)} MiB unpacked)";
        var sb = new StringBuilder(missing.WillSubstitute.Count == 1
            ? $"this path will be fetched {sizes}:\n"
            : $"these {missing.WillSubstitute.Count} paths will be fetched {sizes}:\n");
        foreach (var p in missing.WillSubstitute) sb.Append("  ").Append(p).Append('\n');
        io.Err(Store.StoreCommand.Encode(sb.ToString()));
    }

    /// <summary>Bytes in MiB with two decimals, as Nix computes it: in single precision, then
    /// printed like C's "%.2f" (the exact binary value, rounded half to even).</summary>
    public static string MiB(long bytes)
    {
        double value = (float)bytes / (1024f * 1024f);
        // value = mantissa * 2^exponent exactly; hundredths = value * 100, rounded half to even.
        long bits = BitConverter.DoubleToInt64Bits(value);
        int rawExponent = (int)((bits >> 52) & 0x7ff);
        long mantissa = bits & 0xfffffffffffffL;
        if (rawExponent == 0) rawExponent = 1; else mantissa |= 1L << 52;
        int exponent = rawExponent - 1075;
        BigInteger scaled = new BigInteger(mantissa) * 100;
        BigInteger hundredths;
        if (exponent >= 0) hundredths = scaled << exponent;
        else
        {
            var divisor = BigInteger.One << -exponent;
            hundredths = BigInteger.DivRem(scaled, divisor, out var remainder);
            int half = (remainder * 2).CompareTo(divisor);
            if (half > 0 || (half == 0 && !hundredths.IsEven)) hundredths += 1;
        }
        var digits = hundredths.ToString(CultureInfo.InvariantCulture).PadLeft(3, '0');
        return digits[..^2] + "." + digits[^2..];
    }
}
