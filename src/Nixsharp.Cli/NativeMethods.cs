// The process-level libc call the command needs before anything else runs.
namespace Nixsharp.Cli;

using System.Runtime.InteropServices;

internal static partial class NativeMethods
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Nix names its CA bundle NIX_SSL_CERT_FILE, which wins over SSL_CERT_FILE. .NET
    /// takes its trusted roots from OpenSSL, which reads SSL_CERT_FILE from the C environment
    /// (not .NET's copy of it), so the bundle is handed over there, before any TLS connection.</summary>
    public static void HonourNixCaBundle()
    {
        if (Environment.GetEnvironmentVariable("NIX_SSL_CERT_FILE") is { Length: > 0 } bundle)
        {
            SetEnv("SSL_CERT_FILE", bundle, 1);
            Environment.SetEnvironmentVariable("SSL_CERT_FILE", bundle);
        }
    }
}
