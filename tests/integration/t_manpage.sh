# cdx(1) and the bash completion, as the build made them from the command
# table (cdx help --man, cdx help --completion bash): the page renders
# without a warning and names every command of cdx --help; the completion,
# sourced into bash, completes the verbs, a verb's sub-verbs and its
# options by sub-verb, skips options' values, and knows every option each
# verb's help lists.
. "$(dirname "$0")/lib.sh"

build=$(dirname "$CDX")
page="$build/cdx.1"
comp="$build/cdx.bash-completion"
[ -f "$page" ] || fail "no $page (the build makes it)"
[ -f "$comp" ] || fail "no $comp (the build makes it)"
"$CDX" help --man | cmp -s - "$page" || fail "$page is not what cdx help --man writes"
"$CDX" help --completion bash | cmp -s - "$comp" || fail "$comp is not what cdx help --completion bash writes"
must_refuse "help --completion zsh" "usage: cdx help" "$CDX" help --completion zsh

# Renders without a warning, to the terminal width of 80 and through groff.
groff -ww -man -z "$page" 2>"$T/groff.err" || fail "groff failed: $(cat "$T/groff.err")"
[ ! -s "$T/groff.err" ] || fail "groff warns: $(head -n 5 "$T/groff.err")"
MANWIDTH=80 man --warnings -l "$page" >"$T/page.txt" 2>"$T/man.err" || fail "man failed: $(cat "$T/man.err")"
[ ! -s "$T/man.err" ] || fail "man warns: $(head -n 5 "$T/man.err")"

# Every command of cdx --help is a section of the page, with its summary.
"$CDX" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z]*\) .*/\1/p' > "$T/verbs"
[ "$(wc -l < "$T/verbs")" -ge 20 ] || fail "cdx --help lists $(wc -l < "$T/verbs") commands"
while read -r v; do
    grep -qx ".SS $v" "$page" || fail "cdx(1) has no section for $v"
    grep -q "^   $v\$" "$T/page.txt" || fail "the rendered page has no heading $v"
done < "$T/verbs"
grep -q "^EXIT STATUS" "$T/page.txt" && grep -q "6  cdx audit reconcile found mismatches" "$T/page.txt" ||
    fail "no exit codes in the page"
tr -s " " < "$T/page.txt" | grep -q "SIGHUP stops the node cleanly" || fail "the page does not say what SIGHUP does"

# complete WORD...: what the completion offers for the command line
# "cdx WORD..." with the cursor on the last word.
complete_line() {
    bash --norc --noprofile -c '. "$1"; shift; COMP_WORDS=(cdx "$@"); COMP_CWORD=$#; _cdx; printf "%s\n" "${COMPREPLY[@]}"' \
        sh "$comp" "$@"
}
# offers WANT... -- WORD...: each WANT is offered.
offers() {
    o_want=""
    while [ "$1" != -- ]; do o_want="$o_want $1"; shift; done
    shift
    complete_line "$@" > "$T/offered"
    for w in $o_want; do
        grep -qx -- "$w" "$T/offered" || fail "cdx $* <TAB>: no $w in: $(tr '\n' ' ' < "$T/offered")"
    done
}
lacks() {
    l_not=$1; shift
    complete_line "$@" | grep -qx -- "$l_not" && fail "cdx $* <TAB> offers $l_not"
    return 0
}
complete_line "" > "$T/all"
while read -r v; do grep -qx "$v" "$T/all" || fail "no verb $v completed"; done < "$T/verbs"
offers audit authority -- au
offers audit -- --home /srv/cdx aud
offers --bind --log-level -- run --
offers add remove list -- user ""
offers --checkpoint --json -- audit verify --
lacks --since audit verify --
offers --since --csv -- audit --
offers --class -- publish --topic t/x --cl
offers --output -o -- export --purpose commissioning -
offers --man --completion -- help --
offers bash -- help --completion ""

# Every option a verb's help lists (a line "  --NAME" or "  -x, --NAME")
# is one its parser takes.
while read -r v; do
    "$CDX" "$v" --help | sed -n 's/^ *\(-[a-z], \)\{0,1\}--\([a-z][a-z0-9-]*\).*/--\2/p' | sort -u > "$T/documented"
    bash --norc --noprofile -c '. "$1"; for f in "" $(_cdx_subs "$2"); do _cdx_opts "$2:$f"; echo; done' sh "$comp" "$v" |
        tr ' ' '\n' | sort -u > "$T/parsed"
    missing=$(comm -23 "$T/documented" "$T/parsed" | tr '\n' ' ')
    [ -z "$missing" ] || fail "cdx $v --help lists $missing but the completion (its option table) has no such option"
done < "$T/verbs"
say ok
