// The two-thread write pipeline binary cache writes go through: everything arrives in order, and
// a failure on the writing side reaches the writer instead of hanging it.
namespace Nixsharp.Cli.Tests;

using System.Security.Cryptography;
using Nixsharp.Remote.BinaryCaches;
using Xunit;

public sealed class PipedWriteStreamTests
{
    [Fact]
    public void EverythingWrittenArrivesInOrder()
    {
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 12345);
        var target = new MemoryStream();
        using (var piped = new PipedWriteStream(target))
        {
            // Odd sizes across chunk boundaries, as a NAR writer produces them.
            int at = 0, step = 1;
            while (at < data.Length)
            {
                int n = Math.Min(step, data.Length - at);
                piped.Write(data, at, n);
                at += n;
                step = step * 7 % 100_003 + 1;
            }
            piped.Complete();
        }
        Assert.Equal(data, target.ToArray());
    }

    [Fact]
    public void AFailureOfTheWritingSideReachesTheWriter()
    {
        using var piped = new PipedWriteStream(new FailingStream(afterBytes: 200_000));
        var chunk = new byte[10_000];
        var e = Assert.Throws<IOException>(() =>
        {
            for (int i = 0; i < 10_000; i++) piped.Write(chunk);
            piped.Complete();
        });
        Assert.Equal("disk full", e.Message);
    }

    private sealed class FailingStream(long afterBytes) : Stream
    {
        private long _written;
        public override void Write(byte[] buffer, int offset, int count)
        {
            _written += count;
            if (_written > afterBytes) throw new IOException("disk full");
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
