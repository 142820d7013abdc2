// Turns a writer (something that writes a NAR to a stream) into a stream to read from, by running
// the writer on its own thread behind a small bounded buffer. Adding a tree to the store reads the
// source once this way: the NAR is hashed, buffered or restored as it is produced, and memory
// stays bounded whatever the tree's size.
namespace Nixsharp.Store.Local;

using System.Runtime.ExceptionServices;
using Nixsharp.Formats.Streams;

public sealed class ProducerStream : ReadOnlyStream
{
    // The producer may run evaluator code (a source filter), which can recurse deeply: give it the
    // same large stack the CLI gives evaluation.
    private const int ProducerStackSize = 64 * 1024 * 1024;
    private const int MaxBuffered = 1 << 20;

    private readonly object _gate = new();
    private readonly Queue<(byte[] Data, int Length)> _chunks = new();
    private int _buffered;
    private byte[]? _current;
    private int _currentOffset, _currentLength;
    private bool _finished, _cancelled;
    private ExceptionDispatchInfo? _failure;
    private readonly Thread _thread;

    public ProducerStream(Action<Stream> produce)
    {
        _thread = new Thread(() =>
        {
            try
            {
                using var sink = new Sink(this);
                produce(sink);
            }
            catch (OperationCanceledException) when (_cancelled) { }
            catch (Exception e)
            {
                lock (_gate) _failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                lock (_gate)
                {
                    _finished = true;
                    Monitor.PulseAll(_gate);
                }
            }
        }, ProducerStackSize) { IsBackground = true, Name = "nar-producer" };
        _thread.Start();
    }

    private const int ChunkSize = 1 << 16;
    // Consumed chunks go back to the producer, so a stream of any length reuses the same few
    // arrays instead of leaving garbage behind.
    private readonly Stack<byte[]> _free = new();

    private byte[] RentChunk()
    {
        lock (_gate) return _free.Count > 0 ? _free.Pop() : new byte[ChunkSize];
    }

    private void Enqueue(byte[] chunk, int length)
    {
        lock (_gate)
        {
            while (_buffered >= MaxBuffered && !_cancelled) Monitor.Wait(_gate);
            if (_cancelled) throw new OperationCanceledException();
            _chunks.Enqueue((chunk, length));
            _buffered += length;
            Monitor.PulseAll(_gate);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        if (_current is null || _currentOffset == _currentLength)
        {
            lock (_gate)
            {
                if (_current is not null) _free.Push(_current);
                _current = null;
                while (_chunks.Count == 0 && !_finished) Monitor.Wait(_gate);
                if (_chunks.Count == 0)
                {
                    _failure?.Throw();
                    return 0;
                }
                (_current, _currentLength) = _chunks.Dequeue();
                _buffered -= _currentLength;
                _currentOffset = 0;
                Monitor.PulseAll(_gate);
            }
        }
        int n = Math.Min(buffer.Length, _currentLength - _currentOffset);
        _current.AsSpan(_currentOffset, n).CopyTo(buffer);
        _currentOffset += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _cancelled = true;
                _chunks.Clear();
                Monitor.PulseAll(_gate);
            }
            _thread.Join();
        }
        base.Dispose(disposing);
    }

    /// <summary>The producer's end: writes are gathered into 64 KiB chunks.</summary>
    private sealed class Sink : WriteOnlyStream
    {
        private readonly ProducerStream _owner;
        private byte[] _pending;
        private int _length;

        public Sink(ProducerStream owner) { _owner = owner; _pending = owner.RentChunk(); }

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                int n = Math.Min(data.Length, _pending.Length - _length);
                data[..n].CopyTo(_pending.AsSpan(_length));
                _length += n;
                data = data[n..];
                if (_length == _pending.Length) Flush();
            }
        }

        public override void Flush()
        {
            if (_length == 0) return;
            _owner.Enqueue(_pending, _length);
            _pending = _owner.RentChunk();
            _length = 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Flush();
            base.Dispose(disposing);
        }
    }
}
