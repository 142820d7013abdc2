// The SQL schema of a Nix 2.8 store database (schema version 10). It is an interface shared with
// real Nix: the same tables, columns, keys, indexes and trigger, so either can open a store the
// other created. Every statement is idempotent, so running it over an existing database is harmless.
namespace Nixsharp.Store.Database;

public static class StoreSchema
{
    /// <summary>The version Nix 2.8 writes to the db/schema file; the only one this layer opens.</summary>
    public const int Version = 10;

    /// <summary>Tables, indexes and trigger of schema 10. The ca-derivations tables (Realisations) are
    /// left out on purpose: Nix 2.8 only adds them when that experimental feature is on.</summary>
    public const string Sql = """
        create table if not exists ValidPaths (
            id               integer primary key autoincrement not null,
            path             text unique not null,
            hash             text not null,      -- NAR hash, "sha256:" then base 16
            registrationTime integer not null,   -- seconds since the epoch
            deriver          text,
            narSize          integer,            -- null reads as 0
            ultimate         integer,            -- 1 when built locally; null means false
            sigs             text,               -- signatures separated by spaces
            ca               text                -- content address, e.g. "fixed:r:sha256:<base32>"
        );

        create table if not exists Refs (
            referrer  integer not null,
            reference integer not null,
            primary key (referrer, reference),
            foreign key (referrer) references ValidPaths(id) on delete cascade,
            foreign key (reference) references ValidPaths(id) on delete restrict
        );

        create index if not exists IndexReferrer on Refs(referrer);
        create index if not exists IndexReference on Refs(reference);

        -- A path that refers to itself would block its own deletion ("on delete restrict" above),
        -- so self-references go first.
        create trigger if not exists DeleteSelfRefs before delete on ValidPaths
          begin
            delete from Refs where referrer = old.id and reference = old.id;
          end;

        create table if not exists DerivationOutputs (
            drv  integer not null,
            id   text not null,   -- output name, e.g. "out"
            path text not null,
            primary key (drv, id),
            foreign key (drv) references ValidPaths(id) on delete cascade
        );

        create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
        """;

    /// <summary>Reads every column this layer uses; preparing it fails on a database that lacks them.</summary>
    internal const string ProbeSql = """
        select id, path, hash, registrationTime, deriver, narSize, ultimate, sigs, ca from ValidPaths limit 0;
        select referrer, reference from Refs limit 0;
        select drv, id, path from DerivationOutputs limit 0;
        """;
}
