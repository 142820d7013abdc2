// Nix's signing keys and detached signatures: Ed25519, written "NAME:BASE64". A secret key holds
// 64 bytes (the 32-byte seed, then the public key, as libsodium keeps them), a public key 32 and a
// signature 64. The cryptography is BouncyCastle's; this file only knows the text forms.
namespace Nixsharp.Formats.Signing;

using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

/// <summary>A key that cannot be read; the message says which kind and why, in Nix's words.</summary>
public sealed class SigningKeyException : FormatException
{
    public SigningKeyException(string message) : base(message) { }
}

/// <summary>A named Ed25519 secret key, as `nix key generate-secret` writes it.</summary>
public sealed class SecretKey
{
    private const int SeedSize = 32;
    private readonly Ed25519PrivateKeyParameters _key;

    public string Name { get; }
    public PublicKey PublicKey { get; }

    private SecretKey(string name, byte[] seed)
    {
        Name = name;
        _key = new Ed25519PrivateKeyParameters(seed);
        PublicKey = new PublicKey(name, _key.GeneratePublicKey().GetEncoded());
    }

    /// <summary>A fresh key from the system's random number generator.</summary>
    public static SecretKey Generate(string name)
    {
        CheckName(name, "secret");
        return new SecretKey(name, RandomNumberGenerator.GetBytes(SeedSize));
    }

    /// <summary>Reads "NAME:BASE64(seed ‖ public key)"; surrounding whitespace (a key file's final
    /// newline) is ignored. A key whose public half does not belong to its seed is refused: it
    /// would make signatures that nothing verifies.</summary>
    public static SecretKey Parse(string text)
    {
        var (name, bytes) = Split(text.Trim(), "secret", 2 * SeedSize);
        var key = new SecretKey(name, bytes[..SeedSize]);
        if (!key.PublicKey.KeyBytes.SequenceEqual(bytes.AsSpan(SeedSize)))
            throw new SigningKeyException("secret key is not valid (its public half does not match its seed)");
        return key;
    }

    /// <summary>The text form: "NAME:BASE64", without a newline (as Nix prints it).</summary>
    public override string ToString()
    {
        var all = new byte[2 * SeedSize];
        _key.Encode(all, 0);
        PublicKey.KeyBytes.CopyTo(all.AsSpan(SeedSize));
        return Name + ":" + Convert.ToBase64String(all);
    }

    /// <summary>A detached signature of `data` in Nix's form, "NAME:BASE64(64 bytes)".</summary>
    public string Sign(string data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        var bytes = Encoding.UTF8.GetBytes(data);
        signer.BlockUpdate(bytes, 0, bytes.Length);
        return Name + ":" + Convert.ToBase64String(signer.GenerateSignature());
    }

    internal static void CheckName(string name, string kind)
    {
        if (name.Length == 0 || name.Contains(':') || name.Any(char.IsWhiteSpace))
            throw new SigningKeyException($"{kind} key name '{name}' is not valid (it must be non-empty, without ':' or spaces)");
    }

    /// <summary>"NAME:BASE64" into its parts; Nix calls a missing name "corrupt" and a payload of
    /// the wrong size "not valid".</summary>
    internal static (string Name, byte[] Bytes) Split(string text, string kind, int size)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0) throw new SigningKeyException($"{kind} key is corrupt");
        var name = text[..colon];
        var bytes = new byte[size + 3];
        if (!Convert.TryFromBase64String(text[(colon + 1)..], bytes, out int written) || written != size)
            throw new SigningKeyException($"{kind} key is not valid");
        return (name, bytes[..size]);
    }
}

/// <summary>A named Ed25519 public key, "NAME:BASE64(32 bytes)".</summary>
public sealed class PublicKey
{
    private const int KeySize = 32;
    private const int SignatureSize = 64;
    private readonly byte[] _bytes;
    private readonly Ed25519PublicKeyParameters _key;

    public string Name { get; }
    public ReadOnlySpan<byte> KeyBytes => _bytes;

    internal PublicKey(string name, byte[] bytes)
    {
        Name = name;
        _bytes = bytes;
        _key = new Ed25519PublicKeyParameters(bytes);
    }

    public static PublicKey Parse(string text)
    {
        var (name, bytes) = SecretKey.Split(text.Trim(), "public", KeySize);
        return new PublicKey(name, bytes);
    }

    public override string ToString() => Name + ":" + Convert.ToBase64String(_bytes);

    /// <summary>Whether `signature` ("NAME:BASE64") is this key's signature of `data`. A signature
    /// by another name, or one that is not 64 bytes of base 64, is simply not valid.</summary>
    public bool Verify(string data, string signature)
    {
        int colon = signature.IndexOf(':');
        if (colon < 0 || !signature.AsSpan(0, colon).SequenceEqual(Name)) return false;
        var sig = new byte[SignatureSize + 3];
        if (!Convert.TryFromBase64String(signature[(colon + 1)..], sig, out int written) || written != SignatureSize) return false;
        var verifier = new Ed25519Signer();
        verifier.Init(false, _key);
        var bytes = Encoding.UTF8.GetBytes(data);
        verifier.BlockUpdate(bytes, 0, bytes.Length);
        return verifier.VerifySignature(sig[..SignatureSize]);
    }
}

/// <summary>The keys a store trusts (the `trusted-public-keys` setting), by name.</summary>
public sealed class TrustedKeys
{
    private readonly Dictionary<string, PublicKey> _byName = new(StringComparer.Ordinal);

    public IReadOnlyCollection<PublicKey> Keys => _byName.Values;
    public int Count => _byName.Count;

    public TrustedKeys(IEnumerable<PublicKey> keys)
    {
        foreach (var k in keys) _byName[k.Name] = k;
    }

    /// <summary>A whitespace-separated list of "NAME:BASE64" public keys, as in nix.conf.</summary>
    public static TrustedKeys Parse(string setting) =>
        new(setting.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(PublicKey.Parse));

    /// <summary>Whether any of `signatures` is a trusted key's valid signature of `data`.</summary>
    public bool AnyValid(string data, IEnumerable<string> signatures) => signatures.Any(s => IsValid(data, s));

    public bool IsValid(string data, string signature)
    {
        int colon = signature.IndexOf(':');
        return colon > 0 && _byName.TryGetValue(signature[..colon], out var key) && key.Verify(data, signature);
    }
}
