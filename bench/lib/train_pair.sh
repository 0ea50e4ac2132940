# Shared by the neop-vs-PyTorch training speed scripts (bench/mgno_train_speed.sh,
# bench/multionet_train_speed.sh). Source it after setting NTRAIN and TMP; each
# measurement leaves neop's log (with /usr/bin/time -v) in $TMP/n.log and
# PyTorch's in $TMP/t.log, then calls `record_pair KEY T REP`; `pair_table`
# prints the medians per KEY and thread count.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# training samples / epoch seconds, median over the epochs after the first
rate() { grep '^epoch' "$1" | tail -n +2 | sed 's/.* \([0-9.]*\) s  *[0-9.]* samples\/s.*/\1/' | awk -v n="$NTRAIN" '{ print n / $1 }' | median; }
declare -A RN RT MN MT   # (key, threads) -> the runs' neop / torch rates and peak RSS (MB)

# record_pair KEY T REP: one line for the pair in $TMP/{n,t}.log, kept for the table
record_pair() {
  local k=$1 T=$2 r=$3 rn rt mn mt
  rn=$(rate "$TMP/n.log"); rt=$(rate "$TMP/t.log")
  mn=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$TMP/n.log")
  mt=$(sed -n 's/^peak RSS \([0-9]*\) MB/\1/p' "$TMP/t.log")
  mn=$((mn / 1024))
  echo "$k threads $T rep $r: neop $rn samples/s ($mn MB), torch $rt samples/s ($mt MB), ratio $(awk -v a="$rn" -v b="$rt" 'BEGIN { printf "%.2f", a / b }')"
  RN[$k,$T]+="$rn "; RT[$k,$T]+="$rt "; MN[$k,$T]+="$mn "; MT[$k,$T]+="$mt "
}

# pair_table COLUMN "KEYS" "THREADS" REPS: medians of the rates, of the per-pair ratios and of the RSS
pair_table() {
  local col=$1 keys=$2 threads=$3 reps=$4 k T ratios
  m() { echo "$1" | tr ' ' '\n' | grep . | median; }
  echo
  echo "| $col | threads | neop samples/s | PyTorch samples/s | ratio (median of runs) | neop peak RSS | PyTorch peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  for k in $keys; do
    for T in $threads; do
      ratios=$(for i in $(seq "$reps"); do
        a=$(echo "${RN[$k,$T]}" | cut -d' ' -f"$i"); b=$(echo "${RT[$k,$T]}" | cut -d' ' -f"$i"); awk -v a="$a" -v b="$b" 'BEGIN { print a / b }'; done | median)
      printf "| %s | %d | %.3f | %.3f | %.2f | %.0f MB | %.0f MB |\n" "$k" "$T" "$(m "${RN[$k,$T]}")" "$(m "${RT[$k,$T]}")" "$ratios" \
        "$(m "${MN[$k,$T]}")" "$(m "${MT[$k,$T]}")"
    done
  done
}
