// The system-call filter Nix 2.8 puts on builders, as a classic BPF program handed to bwrap
// (--seccomp FD): chmod, fchmod, fchmodat (and fchmodat2) with a setuid or setgid bit fail with
// EPERM, and setxattr, lsetxattr and fsetxattr fail with ENOTSUP, for 64-bit, x32 and 32-bit x86
// calls alike. Setuid files and extended attributes are thus refused when made, not only removed
// afterwards by canonicalisation (which still happens, as a second line).
namespace Nixsharp.Builder.Linux;

using System.Buffers.Binary;
using System.Runtime.InteropServices;

public static partial class SeccompFilter
{
    private const uint AuditArchX86_64 = 0xC000003E, AuditArchI386 = 0x40000003;
    private const uint X32Bit = 0x40000000;
    private const uint RetAllow = 0x7fff0000, RetErrno = 0x00050000;
    private const int EPERM = 1, ENOTSUP = 95;
    private const uint SetuidOrSetgid = 0x0C00; // S_ISUID | S_ISGID (04000 | 02000)

    // Classic BPF opcodes.
    private const ushort LdAbs = 0x20, JeqK = 0x15, JsetK = 0x45, AndK = 0x54, RetK = 0x06;

    private sealed class Assembler
    {
        private readonly List<(ushort Code, string? True, string? False, uint K)> _code = new();
        private readonly Dictionary<string, int> _labels = new();
        public void Label(string name) => _labels[name] = _code.Count;
        public void Load(uint offset) => _code.Add((LdAbs, null, null, offset));
        public void And(uint k) => _code.Add((AndK, null, null, k));
        public void Ret(uint k) => _code.Add((RetK, null, null, k));
        /// <summary>Jumps to `ifTrue` when A == k, else to `ifFalse` (null: the next instruction).</summary>
        public void JumpIfEqual(uint k, string ifTrue, string? ifFalse = null) => _code.Add((JeqK, ifTrue, ifFalse, k));
        public void JumpIfAnyBit(uint k, string ifTrue, string? ifFalse = null) => _code.Add((JsetK, ifTrue, ifFalse, k));

        public byte[] Build()
        {
            var bytes = new byte[_code.Count * 8];
            for (int i = 0; i < _code.Count; i++)
            {
                var (code, t, f, k) = _code[i];
                byte Offset(string? label) => label is null ? (byte)0 : checked((byte)(_labels[label] - i - 1));
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 8), code);
                bytes[i * 8 + 2] = Offset(t);
                bytes[i * 8 + 3] = Offset(f);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8 + 4), k);
            }
            return bytes;
        }
    }

    /// <summary>The filter program (struct sock_filter[]), as bwrap reads it.</summary>
    public static byte[] Program()
    {
        // struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8i (the low 32 bits first).
        const uint Nr = 0, Arch = 4, Arg1 = 24, Arg2 = 32;
        var a = new Assembler();
        a.Load(Arch);
        a.JumpIfEqual(AuditArchX86_64, "x86_64");
        a.JumpIfEqual(AuditArchI386, "i386", "allow");

        a.Label("x86_64");
        a.Load(Nr);
        a.And(~X32Bit); // x32 calls are the 64-bit numbers with bit 30 set
        Calls(a, chmod: 90, fchmod: 91, fchmodat: 268, fchmodat2: 452, setxattr: 188, lsetxattr: 189, fsetxattr: 190);

        a.Label("i386");
        a.Load(Nr);
        Calls(a, chmod: 15, fchmod: 94, fchmodat: 306, fchmodat2: 452, setxattr: 226, lsetxattr: 227, fsetxattr: 228);

        a.Label("mode-arg1");
        a.Load(Arg1);
        a.JumpIfAnyBit(SetuidOrSetgid, "eperm", "allow");
        a.Label("mode-arg2");
        a.Load(Arg2);
        a.JumpIfAnyBit(SetuidOrSetgid, "eperm", "allow");
        a.Label("eperm");
        a.Ret(RetErrno | EPERM);
        a.Label("enotsup");
        a.Ret(RetErrno | ENOTSUP);
        a.Label("allow");
        a.Ret(RetAllow);
        return a.Build();
    }

    private static void Calls(Assembler a, uint chmod, uint fchmod, uint fchmodat, uint fchmodat2, uint setxattr, uint lsetxattr, uint fsetxattr)
    {
        a.JumpIfEqual(chmod, "mode-arg1");
        a.JumpIfEqual(fchmod, "mode-arg1");
        a.JumpIfEqual(fchmodat, "mode-arg2");
        a.JumpIfEqual(fchmodat2, "mode-arg2");
        a.JumpIfEqual(setxattr, "enotsup");
        a.JumpIfEqual(lsetxattr, "enotsup");
        a.JumpIfEqual(fsetxattr, "enotsup");
        a.Ret(RetAllow);
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>A descriptor holding the program, open without close-on-exec so that bwrap inherits
    /// it. The caller starts bwrap and closes it (under the lock that keeps other starts out meanwhile).</summary>
    public static unsafe int CreateInheritableFd()
    {
        var program = Program();
        int fd = MemfdCreate("nixsharp-seccomp", 0);
        if (fd < 0) throw new IOException($"creating the seccomp filter: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        fixed (byte* p = program)
        {
            nint done = 0;
            while (done < program.Length)
            {
                var n = Write(fd, p + done, program.Length - done);
                if (n <= 0) { Close(fd); throw new IOException("writing the seccomp filter failed"); }
                done += n;
            }
        }
        LSeek(fd, 0, 0);
        return fd;
    }
}
