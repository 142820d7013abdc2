// The one place where the store, key and copy commands turn their expected failures into
// "error: …" and exit 1, so that bad input never shows a stack trace.
namespace Nixsharp.Cli;

using Nixsharp.Cli.Commands.Store;

internal static class CommandGuard
{
    /// <summary>Runs `body`. A usage mistake is printed with a hint to `nixsharp COMMAND --help`;
    /// a failure `expected` accepts, or a bad format or I/O error, with its message alone.</summary>
    public static int Run(CliIo io, string command, Func<int> body, Func<Exception, bool> expected)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            io.Err($"error: {StoreCommand.Encode(e.Message)}\nTry 'nixsharp {command} --help' for more information.\n");
            return 1;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException || expected(e))
        {
            io.Err($"error: {StoreCommand.Encode(e.Message)}\n");
            return 1;
        }
    }
}
