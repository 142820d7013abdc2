// The attributes of a derivation that steer its build (passAsFile, allowedReferences, __noChroot,
// requiredSystemFeatures, ...), read as Nix reads them: from the __json attribute when the
// derivation uses structured attributes, else from its environment (lists as whitespace-separated words).
namespace Nixsharp.Builder.Building;

using System.Text.Json;
using Nixsharp.Formats.Derivations;

public sealed class DerivationOptions
{
    private readonly string _drvPath;
    private readonly Derivation _drv;

    /// <summary>The parsed __json attribute, or null for a derivation without structured attributes.</summary>
    public JsonElement? StructuredAttrs { get; }

    public DerivationOptions(string drvPath, Derivation drv)
    {
        _drvPath = drvPath;
        _drv = drv;
        if (drv.Env.TryGetValue("__json", out var json))
        {
            try
            {
                using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 10_000 });
                StructuredAttrs = doc.RootElement.Clone();
                if (StructuredAttrs.Value.ValueKind != JsonValueKind.Object)
                    throw new JsonException("not an object");
            }
            catch (JsonException e)
            {
                throw new BuildException(BuildStatus.MiscFailure, $"cannot process __json attribute of '{BaseName}': {e.Message}");
            }
        }
    }

    private string BaseName => _drvPath.Substring(_drvPath.LastIndexOf('/') + 1);

    public string? GetString(string name)
    {
        if (StructuredAttrs is { } json)
        {
            if (!json.TryGetProperty(name, out var v)) return null;
            if (v.ValueKind != JsonValueKind.String)
                throw new BuildException(BuildStatus.MiscFailure, $"attribute '{name}' of derivation '{BaseName}' must be a string");
            return v.GetString();
        }
        return _drv.Env.TryGetValue(name, out var s) ? s : null;
    }

    public bool GetBool(string name, bool defaultValue = false)
    {
        if (StructuredAttrs is { } json)
        {
            if (!json.TryGetProperty(name, out var v)) return defaultValue;
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new BuildException(BuildStatus.MiscFailure, $"attribute '{name}' of derivation '{BaseName}' must be a Boolean");
            return v.GetBoolean();
        }
        return _drv.Env.TryGetValue(name, out var s) ? s == "1" : defaultValue;
    }

    public List<string>? GetStrings(string name)
    {
        if (StructuredAttrs is { } json)
        {
            if (!json.TryGetProperty(name, out var v)) return null;
            if (v.ValueKind != JsonValueKind.Array)
                throw new BuildException(BuildStatus.MiscFailure, $"attribute '{name}' of derivation '{BaseName}' must be a list of strings");
            var list = new List<string>();
            foreach (var item in v.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    throw new BuildException(BuildStatus.MiscFailure, $"attribute '{name}' of derivation '{BaseName}' must be a list of strings");
                list.Add(item.GetString()!);
            }
            return list;
        }
        return _drv.Env.TryGetValue(name, out var s) ? Words(s) : null;
    }

    /// <summary>Nix's tokenizeString: words separated by spaces, tabs, newlines and carriage returns.</summary>
    public static List<string> Words(string s) =>
        s.Split(new[] { ' ', '\t', '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries).ToList();

    public IReadOnlySet<string> RequiredSystemFeatures =>
        new HashSet<string>(GetStrings("requiredSystemFeatures") ?? new List<string>(), StringComparer.Ordinal);
}
