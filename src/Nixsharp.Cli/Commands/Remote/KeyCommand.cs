// `nixsharp key generate-secret|convert-secret-to-public`: Nix's signing keys ("NAME:BASE64"), as
// `nix key` of Nix 2.8 makes and converts them. Keys are printed without a final newline, as Nix does.
namespace Nixsharp.Cli.Commands.Remote;

using System.CommandLine;
using System.Text;
using Nixsharp.Formats.Signing;

public static class KeyCommand
{
    public static Command Create(CliIo io)
    {
        var cmd = new Command("key", "Generate and convert the keys that sign store paths");
        cmd.Subcommands.Add(GenerateSecret(io));
        cmd.Subcommands.Add(ConvertSecretToPublic(io));
        return cmd;
    }

    private static Command GenerateSecret(CliIo io)
    {
        var keyName = new Option<string>("--key-name")
        {
            Description = "The key's name, which signatures carry; by convention the cache's host name and a number (cache.example.org-1)",
        };
        var cmd = new Command("generate-secret", "Print a new secret key for signing store paths (keep it secret; 'nixsharp key convert-secret-to-public' gives its public key)") { keyName };
        cmd.SetAction(pr => Guard(io, () =>
        {
            var name = pr.GetValue(keyName) ?? throw new UsageException("required argument '--key-name' is missing");
            io.Out(SecretKey.Generate(name).ToString());
            return 0;
        }));
        return cmd;
    }

    private static Command ConvertSecretToPublic(CliIo io)
    {
        var cmd = new Command("convert-secret-to-public", "Read a secret key on standard input and print its public key (for trusted-public-keys)");
        cmd.SetAction(pr => Guard(io, () =>
        {
            using var stdin = io.Stdin();
            using var reader = new StreamReader(stdin, Encoding.UTF8);
            io.Out(SecretKey.Parse(reader.ReadToEnd()).PublicKey.ToString());
            return 0;
        }));
        return cmd;
    }

    /// <summary>Expected failures become "error: …" and exit 1.</summary>
    public static int Guard(CliIo io, Func<int> body) => CommandGuard.Run(io, "key", body, _ => false);

    /// <summary>Reads a secret key file, naming the file in errors.</summary>
    public static SecretKey ReadSecretKeyFile(string file, CliIo io)
    {
        var full = Path.GetFullPath(file, io.WorkingDirectory);
        string text;
        try { text = File.ReadAllText(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read secret key file '{full}': {e.Message}");
        }
        try { return SecretKey.Parse(text); }
        catch (SigningKeyException e)
        {
            throw new FormatException($"{e.Message} (in '{full}'; make one with 'nixsharp key generate-secret --key-name NAME')");
        }
    }
}
