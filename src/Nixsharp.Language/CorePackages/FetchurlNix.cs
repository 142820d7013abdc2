// <nix/fetchurl.nix>: the fixed-output derivation for the built-in URL fetcher. Its attributes
// must be exactly Nix's, because they decide the .drv (and nixpkgs' bootstrap imports it).
namespace Nixsharp.Language.CorePackages;

public static class FetchurlNix
{
    public const string Path = "/__corepkgs__/fetchurl.nix";

    public const string Source = """
        # The URL fetcher built into the builder ("builtin:fetchurl"); hashes may be given the
        # modern way (an SRI `hash`) or the old way (one of md5/sha1/sha256/sha512).
        { system ? "", url, hash ? "", md5 ? "", sha1 ? "", sha256 ? "", sha512 ? ""
        , outputHash ? (if hash != "" then hash
                        else if sha512 != "" then sha512
                        else if sha1 != "" then sha1
                        else if md5 != "" then md5
                        else sha256)
        , outputHashAlgo ? (if hash != "" then ""
                            else if sha512 != "" then "sha512"
                            else if sha1 != "" then "sha1"
                            else if md5 != "" then "md5"
                            else "sha256")
        , executable ? false, unpack ? false, name ? baseNameOf (toString url) }:
        derivation {
          builder = "builtin:fetchurl";
          system = "builtin";
          inherit name url executable unpack outputHash outputHashAlgo;
          outputHashMode = if unpack || executable then "recursive" else "flat";
          # Fetches are run by the builder itself, close to the caller.
          preferLocalBuild = true;
          # Proxy settings pass through: the result is fixed by its hash anyway.
          impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
          urls = [ url ];
        }
        """;
}
