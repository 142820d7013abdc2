// A binary cache's `nix-cache-info`: "Key: value" lines saying which store directory its paths
// belong to, whether clients may query it in bulk, and its priority among substituters.
namespace Nixsharp.Formats.BinaryCache;

using System.Globalization;
using System.Text;

public sealed record NixCacheInfo
{
    public required string StoreDir { get; init; }
    public bool? WantMassQuery { get; init; }
    public int? Priority { get; init; }

    /// <summary>As Nix writes it for a new cache: the fields that are set, in this order.</summary>
    public string Print()
    {
        var sb = new StringBuilder("StoreDir: ").Append(StoreDir).Append('\n');
        if (WantMassQuery is { } w) sb.Append("WantMassQuery: ").Append(w ? '1' : '0').Append('\n');
        if (Priority is { } p) sb.Append("Priority: ").Append(p.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Reads the file; unknown keys are skipped (as Nix does), a known one with a bad value
    /// is an error naming `whence` and the line.</summary>
    public static NixCacheInfo Parse(string text, string whence)
    {
        string? storeDir = null;
        bool? wantMassQuery = null;
        int? priority = null;
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new FormatException($"'{whence}' line {lineNo}: expected 'Key: value', got '{line}'");
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "StoreDir":
                    if (!value.StartsWith('/')) throw new FormatException($"'{whence}' line {lineNo}: StoreDir '{value}' is not an absolute path");
                    storeDir = value;
                    break;
                case "WantMassQuery":
                    wantMassQuery = value switch
                    {
                        "1" or "true" => true, "0" or "false" => false,
                        _ => throw new FormatException($"'{whence}' line {lineNo}: WantMassQuery '{value}' is not 0 or 1"),
                    };
                    break;
                case "Priority":
                    if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int p))
                        throw new FormatException($"'{whence}' line {lineNo}: Priority '{value}' is not an integer");
                    priority = p;
                    break;
                default: break;
            }
        }
        return new NixCacheInfo
        {
            StoreDir = storeDir ?? throw new FormatException($"'{whence}' has no StoreDir line"),
            WantMassQuery = wantMassQuery, Priority = priority,
        };
    }
}
