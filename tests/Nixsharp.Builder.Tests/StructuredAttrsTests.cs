// .attrs.json and .attrs.sh as Nix 2.8 writes them (nlohmann::json's dump, and its conversion of
// numbers for bash). The expected texts are what Nix 2.8 wrote for the same __json.
namespace Nixsharp.Builder.Tests;

using System.Text.Json;
using Nixsharp.Builder.Building;
using Xunit;

public class StructuredAttrsTests
{
    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(123457000.0, "123457000.0")]
    [InlineData(1e20, "1e+20")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-7, "1e-07")]
    [InlineData(3.0, "3.0")]
    [InlineData(-2.5e-300, "-2.5e-300")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e14, "100000000000000.0")]
    [InlineData(1e15, "1e+15")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1e16, "1e+16")]
    [InlineData(0.0, "0.0")]
    public void DoublesAreWrittenAsNlohmannWritesThem(double value, string expected) =>
        Assert.Equal(expected, StructuredAttrs.FormatDouble(value));

    [Fact]
    public void JsonAndShellFilesMatchNix()
    {
        // The __json Nix 2.8's evaluator wrote for a derivation with these attributes.
        const string json = "{\"b\":false,\"bad-name\":1,\"big\":12345678901,\"builder\":\"/bin/sh\",\"f2\":3,\"f3\":1e+20,\"f4\":0.0001,\"f5\":1.23457e+08,\"f6\":1e-07,\"flt\":1.5,\"l\":[1,\"a\",true,null],\"n\":null,\"name\":\"sa\",\"neg\":-5,\"nested\":{\"a\":[1]},\"num\":3,\"o\":{\"a\":1,\"b c\":\"x\"},\"outputs\":[\"out\",\"dev\"],\"s\":\"it's \\\"q\\\" \\n x é \\t u0001\",\"system\":\"x86_64-linux\"}";
        using var doc = JsonDocument.Parse(json);
        var attrs = StructuredAttrs.Prepare(doc.RootElement, new Dictionary<string, string>
        {
            ["out"] = "/nix/store/7g451q0h0sr0y04i1fj9r1mp0i0871pq-sa",
            ["dev"] = "/nix/store/h09dzc4ld3dnxl1k99aalmz6w0g4r0ci-sa-dev",
        });
        Assert.Equal(
            "{\"b\":false,\"bad-name\":1,\"big\":12345678901,\"builder\":\"/bin/sh\",\"f2\":3,\"f3\":1e+20,\"f4\":0.0001,\"f5\":123457000.0,\"f6\":1e-07,\"flt\":1.5,\"l\":[1,\"a\",true,null],\"n\":null,\"name\":\"sa\",\"neg\":-5,\"nested\":{\"a\":[1]},\"num\":3,\"o\":{\"a\":1,\"b c\":\"x\"},\"outputs\":{\"dev\":\"/nix/store/h09dzc4ld3dnxl1k99aalmz6w0g4r0ci-sa-dev\",\"out\":\"/nix/store/7g451q0h0sr0y04i1fj9r1mp0i0871pq-sa\"},\"s\":\"it's \\\"q\\\" \\n x é \\t u0001\",\"system\":\"x86_64-linux\"}",
            StructuredAttrs.Dump(attrs));
        Assert.Equal(
            "declare b=\n" +
            "declare big=-539222987\n" +
            "declare builder='/bin/sh'\n" +
            "declare f2=3\n" +
            "declare f3=-2147483648\n" +
            "declare f5=123457000\n" +
            "declare -a l=(1 'a' 1 '' )\n" +
            "declare n=''\n" +
            "declare name='sa'\n" +
            "declare neg=-5\n" +
            "declare num=3\n" +
            "declare -A o=(['a']=1 ['b c']='x' )\n" +
            "declare -A outputs=(['dev']='/nix/store/h09dzc4ld3dnxl1k99aalmz6w0g4r0ci-sa-dev' ['out']='/nix/store/7g451q0h0sr0y04i1fj9r1mp0i0871pq-sa' )\n" +
            "declare s='it'\\''s \"q\" \n x é \t u0001'\n" +
            "declare system='x86_64-linux'\n",
            StructuredAttrs.ToShell(attrs));
    }

    [Fact]
    public void ControlCharactersAreEscapedAsNlohmannDoes()
    {
        using var doc = JsonDocument.Parse("{\"s\":\"\\u0001\\b\\f\\r\\u001f\\u007f/\"}");
        Assert.Equal("{\"outputs\":{},\"s\":\"\\u0001\\b\\f\\r\\u001f\u007f/\"}",
            StructuredAttrs.Dump(StructuredAttrs.Prepare(doc.RootElement, new Dictionary<string, string>())));
    }
}
