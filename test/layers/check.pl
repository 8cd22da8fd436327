#!/usr/bin/env perl
# The layering check of test/layers/run (docs/decisions.md, "Layers").
#
#   check.pl ROOT CATALOG
#
# ROOT is the repository; CATALOG a file written by test/layers/run from an installed
# database: records separated by \x1e, fields by \x1f, each "dep" (an edge of pg_depend:
# kind and name of the object that refers, kind and name of the object referred to) or
# "src" (a PL/pgSQL or plain SQL function whose body is a string: its name and source) or
# "obj" (an object of schema rr or rr_internal that the extension created: kind and name).
#
# Every object created in src/sql/LAYER/*.sql belongs to LAYER.  A reference from an object
# to one of a later layer fails the check, naming both objects and their files.  Within a
# layer anything goes.
use strict;
use warnings;

my ($root, $catalog) = @ARGV;
die "usage: check.pl ROOT CATALOG\n" unless defined $catalog;

# ---- the layer map, from the CREATE statements of src/sql/*/*.sql
my @files = sort glob("$root/src/sql/*/*.sql");
die "no files under $root/src/sql/*/\n" unless @files;
my (%layer_of, %file_of, %rank);   # "kind:schema.name" -> layer, file
my @layers;
my $problems = 0;
sub problem { print "  $_[0]\n"; $problems++; }

for my $path (@files) {
    my ($layer, $base) = $path =~ m{/src/sql/([^/]+)/([^/]+)$};
    push @layers, $layer unless @layers && $layers[-1] eq $layer;
    $rank{$layer} = $#layers;
    my $file = "src/sql/$layer/$base";
    open my $fh, '<', $path or die "$path: $!\n";
    my $text = do { local $/; <$fh> };
    close $fh;
    $text =~ s/--[^\n]*//g;
    my $name = qr/((?:rr|rr_internal)\.\w+)/;
    my @defs;
    while ($text =~ /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+)?(FUNCTION|PROCEDURE|AGGREGATE|TABLE|VIEW|TYPE|DOMAIN|SEQUENCE)\s+$name/gi) {
        my $kind = uc $1 eq 'PROCEDURE' || uc $1 eq 'AGGREGATE' ? 'FUNCTION' : uc $1;
        $kind = 'TABLE' if $kind eq 'VIEW' || $kind eq 'SEQUENCE';   # all are relations
        push @defs, [$kind, lc $2];
    }
    # triggers, policies, indexes and constraints added after their table's CREATE belong
    # to the file that adds them
    while ($text =~ /\bCREATE\s+(?:CONSTRAINT\s+)?TRIGGER\s+(\w+)\s.*?\bON\s+$name/gis) {
        push @defs, ['TRIGGER', lc "$2.$1"];
    }
    while ($text =~ /\bCREATE\s+POLICY\s+(\w+)\s+ON\s+$name/gi) {
        push @defs, ['POLICY', lc "$2.$1"];
    }
    while ($text =~ /\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(\w+)\s+ON\s+$name/gi) {
        push @defs, ['INDEX', lc "$2.$1"];
    }
    while ($text =~ /\bALTER\s+TABLE\s+(?:ONLY\s+)?$name\s+ADD\s+CONSTRAINT\s+(\w+)/gi) {
        push @defs, ['CONSTRAINT', lc "$1.$2"];
    }
    for my $d (@defs) {
        my $key = "$d->[0]:$d->[1]";
        if (exists $layer_of{$key} && $layer_of{$key} ne $layer) {
            problem("$d->[1] is defined in two layers: $file_of{$key} and $file");
            next;
        }
        next if exists $layer_of{$key};
        $layer_of{$key} = $layer;
        $file_of{$key} = $file;
    }
}

# The layer and file of an object as the catalog names it.  A column default or a
# constraint belongs to its table unless a later ALTER TABLE added it; a trigger, policy
# or index to the file that creates it, else (made at run time) to its table.
sub locate {
    my ($kind, $name) = @_;
    return ($layer_of{"$kind:$name"}, $file_of{"$kind:$name"}) if exists $layer_of{"$kind:$name"};
    if ($kind =~ /^(TRIGGER|POLICY|INDEX|CONSTRAINT|DEFAULT)$/ && $name =~ /^(\w+\.\w+)\./) {
        return ($layer_of{"TABLE:$1"}, $file_of{"TABLE:$1"}) if exists $layer_of{"TABLE:$1"};
        for my $k (qw(TYPE DOMAIN)) {
            return ($layer_of{"$k:$1"}, $file_of{"$k:$1"}) if exists $layer_of{"$k:$1"};
        }
    }
    return;
}

# ---- the installed catalog
open my $ch, '<', $catalog or die "$catalog: $!\n";
my $raw = do { local $/; <$ch> };
close $ch;
my (@deps, @srcs, @objs);
for my $rec (split /\x1e/, $raw) {
    $rec =~ s/^\n+//;
    $rec =~ s/\n+$//;   # psql ends each query's last record with a newline
    next if $rec eq '';
    my @f = split /\x1f/, $rec, -1;
    if ($f[0] eq 'dep') { push @deps, [@f[1 .. 4]] }
    elsif ($f[0] eq 'src') { push @srcs, [@f[1 .. 2]] }
    elsif ($f[0] eq 'obj') { push @objs, [@f[1 .. 2]] }
    else { die "unexpected record: $rec\n" }
}

# every object the extension made is found in src/sql (else the map above missed it)
for my $o (@objs) {
    my ($kind, $name) = @$o;
    problem("$kind $name is in the installed extension but no CREATE in src/sql/*/*.sql names it")
        unless exists $layer_of{"$kind:$name"};
}

my %seen;
my $edges = 0;
sub check_ref {
    my ($kind, $name, $rkind, $rname, $how) = @_;
    my ($l, $f) = locate($kind, $name);
    my ($rl, $rf) = locate($rkind, $rname);
    return unless defined $l && defined $rl;   # outside the extension (pg_catalog, ...)
    $edges++;
    return unless $rank{$rl} > $rank{$l};
    return if $seen{"$kind:$name>$rkind:$rname"}++;
    problem(sprintf("%s: %s %s refers to %s %s, defined in %s, a later layer (%s)",
                    $f, lc $kind, $name, lc $rkind, $rname, $rf, $how));
}

# pg_depend: SQL-standard function bodies, signatures, views, defaults, constraints,
# triggers, policies, indexes, column types
check_ref(@$_, 'pg_depend') for @deps;

# function bodies kept as strings (PL/pgSQL, plain SQL): their rr. and rr_internal. names,
# outside comments and outside the message texts of RAISE statements (a hint may name a
# function of a later layer without calling it)
my %is_function = map { /^FUNCTION:(.*)$/ ? ($1 => 1) : () } keys %layer_of;
my %is_relation = map { /^TABLE:(.*)$/ ? ($1 => 1) : () } keys %layer_of;
my %is_type = map { /^(?:TYPE|DOMAIN):(.*)$/ ? ($1 => 1) : () } keys %layer_of;
for my $s (@srcs) {
    my ($name, $body) = @$s;
    my $code = '';
    # a small scanner: comments, quoted strings, dollar quotes, RAISE statements
    my $in_raise = 0;
    pos($body) = 0;
    while (pos($body) < length $body) {
        if ($body =~ /\G--[^\n]*/gc) { next }
        if ($body =~ m{\G/\*.*?\*/}gcs) { next }
        if ($body =~ /\G('(?:[^']|'')*')/gc) { $code .= $in_raise ? "''" : $1; next }
        if ($body =~ /\G(\$\w*\$)/gc) {
            my $tag = $1;
            if ($body =~ /\G(.*?)\Q$tag\E/gcs) { $code .= $1 unless $in_raise; next }
            next;
        }
        if ($body =~ /\G\bRAISE\b/gci) { $in_raise = 1; next }
        if ($body =~ /\G;/gc) { $in_raise = 0; $code .= ';'; next }
        if ($body =~ /\G(\w+|\s+|.)/gcs) { $code .= $1; next }
    }
    my %done;
    while ($code =~ /\b(rr|rr_internal)\s*\.\s*"?(\w+)"?/gi) {
        my $ref = lc "$1.$2";
        next if $done{$ref}++;
        my $rkind = $is_function{$ref} ? 'FUNCTION' : $is_relation{$ref} ? 'TABLE'
                  : $is_type{$ref} ? (exists $layer_of{"TYPE:$ref"} ? 'TYPE' : 'DOMAIN') : undef;
        next unless defined $rkind;
        check_ref('FUNCTION', $name, $rkind, $ref, 'function body');
    }
}

printf "  %d layers: %s\n", scalar @layers, join(' ', @layers);
printf "  %d objects mapped from %d files; %d references checked (%d from pg_depend, %d function bodies parsed)\n",
       scalar keys %layer_of, scalar @files, $edges, scalar @deps, scalar @srcs;
exit($problems ? 1 : 0);
