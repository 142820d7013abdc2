// Keeps what parallel work holds in memory under one limit: each piece of work says up front how
// much it will need (a compressor's state, say) and waits until that fits with what runs already.
namespace Nixsharp.Remote;

public sealed class MemoryBudget
{
    private readonly object _gate = new();
    private readonly long _limit;
    private long _inUse;
    private int _holders;
    // Requests are admitted in the order they came, so a large one is not overtaken forever by
    // small ones that keep fitting beside the others.
    private long _nextTicket, _serving;

    /// <summary>A budget of `limit` bytes. A single request larger than the limit is let in when
    /// nothing else holds any: it then runs alone rather than never.</summary>
    public MemoryBudget(long limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _limit = limit;
    }

    /// <summary>Bytes held now.</summary>
    public long InUse
    {
        get { lock (_gate) return _inUse; }
    }

    /// <summary>Requests waiting to be let in.</summary>
    public int Waiting
    {
        get { lock (_gate) return (int)(_nextTicket - _serving); }
    }

    /// <summary>Waits until `bytes` fit, then holds them until the result is disposed.</summary>
    public IDisposable Take(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            long ticket = _nextTicket++;
            while (ticket != _serving || (_holders > 0 && _inUse + bytes > _limit)) Monitor.Wait(_gate);
            _serving++;
            _inUse += bytes;
            _holders++;
            Monitor.PulseAll(_gate);
        }
        return new Lease(this, bytes);
    }

    private void Give(long bytes)
    {
        lock (_gate)
        {
            _inUse -= bytes;
            _holders--;
            Monitor.PulseAll(_gate);
        }
    }

    private sealed class Lease(MemoryBudget budget, long bytes) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0) budget.Give(bytes);
        }
    }
}
