// What Nix's logger does to text bound for a non-terminal: drops ANSI escape sequences and
// carriage returns, and expands tabs to 8-column stops (counted over the whole message).
namespace Nixsharp.Language.Output;

using System.Text;

public static class AnsiFilter
{
    public static string Filter(string s)
    {
        if (s.IndexOfAny(['\u001b', '\t', '\r']) < 0) return s;
        var t = new StringBuilder(s.Length);
        int w = 0;
        for (int i = 0; i < s.Length;)
        {
            char c = s[i];
            if (c == '\u001b')
            {
                i++;
                if (i < s.Length && s[i] == '[')
                {
                    i++;
                    while (i < s.Length && s[i] >= 0x30 && s[i] <= 0x3f) i++;
                    while (i < s.Length && s[i] >= 0x20 && s[i] <= 0x2f) i++;
                    if (i < s.Length && s[i] >= 0x40 && s[i] <= 0x7e) i++;
                }
                else if (i < s.Length && s[i] >= 0x40 && s[i] <= 0x5f) i++;
            }
            else if (c == '\t')
            {
                i++;
                t.Append(' ');
                w++;
                while (w % 8 != 0) { t.Append(' '); w++; }
            }
            else if (c == '\r') i++;
            else
            {
                t.Append(c);
                i++;
                w++;
            }
        }
        return t.ToString();
    }
}
