// Splits a write pipeline across two threads: what is written here is handed, in 64 KiB chunks
// through a short bounded queue, to a thread that writes it on to `inner`. Writing a cache entry
// reads the tree and hashes the NAR on one side and compresses, hashes and writes the file on
// the other, so the two halves overlap on two cores instead of taking turns.
namespace Nixsharp.Remote.BinaryCaches;

using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

public sealed class PipedWriteStream : Stream
{
    private const int ChunkSize = 64 * 1024;
    private readonly Stream _inner;
    // Few chunks in flight: enough to keep both sides busy, little memory.
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _queue = new(boundedCapacity: 8);
    private readonly Thread _consumer;
    private Exception? _consumerFailure;
    private byte[]? _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _currentLength;
    private bool _ended;

    public PipedWriteStream(Stream inner)
    {
        _inner = inner;
        _consumer = new Thread(Consume) { IsBackground = true, Name = "cache writer" };
        _consumer.Start();
    }

    private void Consume()
    {
        try
        {
            foreach (var (buffer, length) in _queue.GetConsumingEnumerable())
            {
                try { _inner.Write(buffer, 0, length); }
                finally { ArrayPool<byte>.Shared.Return(buffer); }
            }
        }
        catch (Exception e)
        {
            _consumerFailure = e;
            // The writer's next hand-over fails and reports this failure.
            _queue.CompleteAdding();
            foreach (var (buffer, _) in _queue.GetConsumingEnumerable()) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        while (data.Length > 0)
        {
            int n = Math.Min(data.Length, ChunkSize - _currentLength);
            data[..n].CopyTo(_current.AsSpan(_currentLength));
            _currentLength += n;
            data = data[n..];
            if (_currentLength == ChunkSize) HandOver();
        }
    }

    private void HandOver()
    {
        var chunk = (_current!, _currentLength);
        _current = null;
        try
        {
            _queue.Add(chunk);
        }
        catch (InvalidOperationException)
        {
            // The consumer stopped adding: it failed.
            ArrayPool<byte>.Shared.Return(chunk.Item1);
            ThrowConsumerFailure();
        }
        _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _currentLength = 0;
    }

    /// <summary>Hands over what is left, waits until everything is written on, and rethrows the
    /// writing thread's failure if it had one.</summary>
    public void Complete()
    {
        if (_ended) return;
        if (_currentLength > 0) HandOver();
        End();
        if (_consumerFailure is not null) ThrowConsumerFailure();
    }

    /// <summary>Stops the writing thread without finishing (the caller is failing anyway).</summary>
    public void Abort()
    {
        if (!_ended) End();
    }

    private void End()
    {
        _ended = true;
        try { _queue.CompleteAdding(); } catch (ObjectDisposedException) { }
        _consumer.Join();
        if (_current is not null) { ArrayPool<byte>.Shared.Return(_current); _current = null; }
    }

    private void ThrowConsumerFailure()
    {
        End();
        ExceptionDispatchInfo.Capture(_consumerFailure ?? new IOException("the cache writer stopped")).Throw();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Abort();
            _queue.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
