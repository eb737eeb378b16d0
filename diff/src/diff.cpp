// The numeric diff: match views, plan the comparisons, run them on worker threads over
// element ranges with bounded buffers, merge, then diagnose what differs.
#include "ckpt/diff.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "ckpt/canonical.hpp"
#include "ckpt/view_reader.hpp"
#include "compare_kernel.hpp"
#include "diagnose.hpp"
#include "match.hpp"

namespace ckpt {

using namespace diffing;

namespace {

struct Plan {
  MatchedPair pair;
  TensorDiff td;
  ElementRule rule;
  uint64_t n = 0;          // elements to compare (present in both files)
  int half_step_side = 0;  // 0 none, 'a' or 'b': the Q8_0 side whose half steps bound the error
  PairAccum acc;
  bool compared = false;
  ErrorGeometry geometry;  // DiffOptions::error_shapes
};

struct Job {
  size_t plan;
  uint64_t lo, hi;
  PairAccum acc;
  std::optional<Error> error;
};

std::string dtype_of(const Checkpoint& cp, const View& v) {
  return std::string(dtype_name(tensor_of(cp, v).spec.dtype));
}

ElementRule base_rule(const DiffOptions& o) {
  ElementRule r;
  r.use_tol = o.atol || o.rtol;
  r.atol = o.atol.value_or(0);
  r.rtol = o.rtol.value_or(0);
  r.use_ulp = o.ulp.has_value();
  r.ulp = o.ulp.value_or(0);
  r.equal_nan = o.equal_nan;
  return r;
}

// Same trailing dims, different row counts: the rows both have are compared.
bool rows_differ_only(const std::vector<uint64_t>& x, const std::vector<uint64_t>& y) {
  return x.size() >= 2 && x.size() == y.size() && x[0] != y[0] && std::equal(x.begin() + 1, x.end(), y.begin() + 1);
}

Plan make_plan(const MatchedPair& m, const DiffOptions& o, const Checkpoint& ca, const Checkpoint& cb) {
  Plan p;
  p.pair = m;
  TensorDiff& td = p.td;
  td.name = m.name;
  if (m.a) td.source_a = m.a->source, td.shape_a = m.a->shape, td.dtype_a = dtype_of(ca, *m.a);
  if (m.b) td.source_b = m.b->source, td.shape_b = m.b->shape, td.dtype_b = dtype_of(cb, *m.b);
  if (!m.a || !m.b) {
    td.status = m.a ? DiffStatus::only_in_a : DiffStatus::only_in_b;
    const Checkpoint& other = m.a ? cb : ca;
    // Training state is only a difference against a format that could have stored it.
    // Other stored tensors with no canonical name (optimizer state, buffers, Meta's
    // rope.freqs) are only a difference against the same format, which could store them.
    const View& own = m.a ? *m.a : *m.b;
    const Checkpoint& mine = m.a ? ca : cb;
    td.layout_only =
        is_layout_only(m.name) || (is_training_state(m.name) ? !other.format.has_tag("training_state")
                                                             : !own.canonical && other.format != mine.format);
    td.numel = m.a ? m.a->numel : m.b->numel;
    return p;
  }
  p.rule = base_rule(o);
  const bool qa = tensor_of(ca, *m.a).spec.dtype == DType::q8_0, qb = tensor_of(cb, *m.b).spec.dtype == DType::q8_0;
  if (qa != qb && !p.rule.use_tol && !p.rule.use_ulp) {
    p.rule.q8_bound = true;
    p.half_step_side = qa ? 'a' : 'b';
  }
  td.rule = p.rule.describe();
  uint64_t rows = 0;
  if (m.a->shape == m.b->shape) {
    td.numel = m.a->numel;
  } else if (rows_differ_only(m.a->shape, m.b->shape)) {
    rows = std::min(m.a->shape[0], m.b->shape[0]);
    td.numel = rows * m.a->cols();
    ExtraRows x;
    x.side = m.a->shape[0] > rows ? 'a' : 'b';
    x.first_row = rows;
    x.rows = std::max(m.a->shape[0], m.b->shape[0]) - rows;
    td.extra_rows = x;
  } else {
    td.status = DiffStatus::shape_mismatch;
    return p;
  }
  const uint64_t av = std::min(ViewReader(ca, *m.a).available(), ViewReader(cb, *m.b).available());
  p.n = std::min(td.numel, av);
  td.missing = td.numel - p.n;
  p.compared = true;
  return p;
}

// Reads the extra rows of one side and says whether they are all zero (bounded reads).
bool extra_rows_zero(const Checkpoint& cp, const View& v, const ExtraRows& x, size_t chunk, bool force_stream) {
  ViewReader r(cp, v, force_stream);
  const uint64_t lo = x.first_row * v.cols(), hi = v.numel;
  if (r.available() < hi) return false;
  chunk = size_t(std::min<uint64_t>(chunk, std::max<uint64_t>(hi - lo, 1)));
  std::vector<float> buf(chunk);
  for (uint64_t i = lo; i < hi; i += chunk) {
    const size_t n = size_t(std::min<uint64_t>(chunk, hi - i));
    if (!r.read(i, n, buf.data(), nullptr)) return false;
    for (size_t k = 0; k < n; ++k)
      if (buf[k] != 0.0f) return false;
  }
  return true;
}

class Runner {
 public:
  Runner(const Checkpoint& ca, const Checkpoint& cb, std::vector<Plan>& plans, const DiffOptions& o,
         const DiffProgress& progress)
      : ca_(ca), cb_(cb), plans_(plans), o_(o), progress_(progress) {}

  // Splits the large comparisons into one range per thread, keeps the rest whole.
  void plan_jobs() {
    const unsigned t = std::max(1u, o_.threads);
    for (size_t i = 0; i < plans_.size(); ++i) {
      const Plan& p = plans_[i];
      if (!p.compared || p.n == 0) continue;
      total_ += p.n * 8;
      const bool random = ViewReader(ca_, *p.pair.a, o_.force_stream).random_access() &&
                          ViewReader(cb_, *p.pair.b, o_.force_stream).random_access();
      const unsigned parts = random && p.n >= o_.split_elems ? t : 1;
      // Boundaries on multiples of 64 Ki elements keep Q8_0 groups whole.
      const uint64_t step = ((p.n + parts - 1) / parts + 65535) / 65536 * 65536;
      if (o_.error_shapes) plans_[i].geometry = geometry_of(*p.pair.a, p.td.numel);
      for (uint64_t lo = 0; lo < p.n; lo += step) {
        jobs_.push_back(Job{i, lo, std::min(p.n, lo + step), {}, {}});
        if (o_.error_shapes) jobs_.back().acc.geometry = &plans_[i].geometry;
      }
    }
    // Largest first keeps both threads busy to the end.
    std::stable_sort(jobs_.begin(), jobs_.end(), [](const Job& x, const Job& y) { return x.hi - x.lo > y.hi - y.lo; });
  }

  std::optional<Error> run() {
    std::atomic<size_t> next{0};
    // Buffers no larger than the largest job: small files need no 4 MiB chunks.
    uint64_t longest = 1;
    for (const auto& j : jobs_) longest = std::max(longest, j.hi - j.lo);
    const size_t chunk = size_t(std::min<uint64_t>(std::max<size_t>(1, o_.chunk_elems), longest));
    auto work = [&] {
      Buffers buf(chunk);
      for (size_t j = next++; j < jobs_.size(); j = next++) run_job(jobs_[j], buf);
    };
    const unsigned t = std::max(1u, std::min<unsigned>(o_.threads, unsigned(std::max<size_t>(1, jobs_.size()))));
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < t; ++i) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    // Merge each plan's ranges in ascending order, so first mismatches and ties are the
    // ones a single thread would have found.
    std::stable_sort(jobs_.begin(), jobs_.end(),
                     [](const Job& x, const Job& y) { return x.plan != y.plan ? x.plan < y.plan : x.lo < y.lo; });
    for (auto& j : jobs_) {
      if (j.error) return j.error;
      plans_[j.plan].acc.merge(j.acc, size_t(o_.max_report));
    }
    return std::nullopt;
  }

 private:
  struct Buffers {
    explicit Buffers(size_t n) : a(n), b(n), half_steps(n) {}
    std::vector<float> a, b, half_steps;
  };

  void run_job(Job& job, Buffers& buf) {
    const Plan& p = plans_[job.plan];
    ViewReader ra(ca_, *p.pair.a, o_.force_stream), rb(cb_, *p.pair.b, o_.force_stream);
    const size_t chunk = buf.a.size();
    for (uint64_t i = job.lo; i < job.hi && !stop_; i += chunk) {
      const size_t n = size_t(std::min<uint64_t>(chunk, job.hi - i));
      auto x = ra.read(i, n, buf.a.data(), p.half_step_side == 'a' ? buf.half_steps.data() : nullptr);
      auto y = x ? rb.read(i, n, buf.b.data(), p.half_step_side == 'b' ? buf.half_steps.data() : nullptr) : x;
      if (!y) {
        job.error = y.error();
        return;
      }
      accumulate(p.rule, i, buf.a.data(), buf.b.data(), p.half_step_side ? buf.half_steps.data() : nullptr, n, job.acc,
                 size_t(o_.max_report));
      if (o_.stop_at_first_difference && job.acc.mismatches) stop_ = true;
      const uint64_t done = done_ += uint64_t(n) * 8;
      if (progress_) {
        std::lock_guard<std::mutex> lock(progress_mutex_);
        progress_(done, total_);
      }
    }
  }

  const Checkpoint& ca_;
  const Checkpoint& cb_;
  std::vector<Plan>& plans_;
  const DiffOptions& o_;
  const DiffProgress& progress_;
  std::vector<Job> jobs_;
  uint64_t total_ = 0;
  std::atomic<uint64_t> done_{0};
  std::atomic<bool> stop_{false};  // stop_at_first_difference: a job found one
  std::mutex progress_mutex_;
};

// Runs task(0 .. n-1) on up to `threads` threads (the calling one included).
template <class F>
void for_each_parallel(size_t n, unsigned threads, const F& task) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k = next++; k < n; k = next++) task(k);
  };
  const unsigned t = std::max(1u, std::min<unsigned>(threads, unsigned(std::max<size_t>(1, n))));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < t; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

ElementPair with_index(ElementPair e, const std::vector<uint64_t>& shape) {
  e.index = unravel(e.flat, shape);
  return e;
}

void fill_metrics(Plan& p) {
  TensorDiff& td = p.td;
  const PairAccum& acc = p.acc;
  std::vector<uint64_t> common = td.shape_a;
  if (td.extra_rows && !common.empty()) common[0] = td.numel / std::max<uint64_t>(1, p.pair.a->cols());
  td.compared = acc.compared;
  td.mismatches = acc.mismatches;
  if (acc.has_max) {
    td.max_abs = Extremum{acc.max_abs.value, with_index(acc.max_abs.at, common)};
    td.max_rel = Extremum{acc.max_rel.value, with_index(acc.max_rel.at, common)};
  }
  td.rmse = acc.finite_pairs ? std::sqrt(acc.sum_d2 / double(acc.finite_pairs)) : 0.0;
  if (acc.na > 0 && acc.nb > 0) td.cosine = std::clamp(acc.dot / std::sqrt(acc.na * acc.nb), -1.0, 1.0);
  for (const auto& m : acc.first) td.first_mismatches.push_back(with_index(m, common));
  td.status = acc.mismatches || td.missing ? DiffStatus::differs : DiffStatus::equal;
}

}  // namespace

bool tensor_selected(const std::vector<std::string>& globs, std::string_view name) {
  if (globs.empty()) return true;
  const std::string n(name);
  for (const auto& g : globs)
    if (::fnmatch(g.c_str(), n.c_str(), 0) == 0) return true;
  return false;
}

std::vector<std::string> unmatched_globs(const Checkpoint& a, const Checkpoint& b,
                                         const std::vector<std::string>& globs) {
  std::vector<std::string> out;
  const std::vector<View> va = canonical_views(a), vb = canonical_views(b);
  for (const auto& g : globs) {
    bool any = false;
    for (const auto* views : {&va, &vb})
      for (const auto& v : *views) any = any || tensor_selected({g}, v.name);
    if (!any) out.push_back(g);
  }
  return out;
}

Result<DiffReport> diff_checkpoints(const Checkpoint& ca, const Checkpoint& cb, const DiffOptions& o,
                                    const DiffProgress& progress) {
  DiffReport rep;
  rep.path_a = ca.path;
  rep.path_b = cb.path;
  rep.format_a = ca.format;
  rep.format_b = cb.format;
  rep.config_a = ca.config;
  rep.config_b = cb.config;
  rep.config = diff_configs(ca, cb);

  rep.selected = o.tensors;

  const std::vector<View> va = canonical_views(ca), vb = canonical_views(cb);
  std::vector<Plan> plans;
  for (const auto& m : match_views(va, vb))
    if (tensor_selected(o.tensors, m.name)) plans.push_back(make_plan(m, o, ca, cb));

  Runner runner(ca, cb, plans, o, progress);
  runner.plan_jobs();
  if (auto err = runner.run()) return *err;

  DiagContext ctx{ca, cb, va, vb, o.force_stream};
  const bool diagnose_all = o.diagnose && !o.stop_at_first_difference;
  std::vector<size_t> to_diagnose;
  for (size_t i = 0; i < plans.size(); ++i) {
    Plan& p = plans[i];
    if (p.compared) {
      fill_metrics(p);
      if (o.error_shapes)
        attach_error_shape(ca, *p.pair.a, cb, *p.pair.b, geometry_of(*p.pair.a, p.td.numel), p.acc.shape,
                           o.force_stream, p.td);
      if (p.td.extra_rows) {
        ExtraRows& x = *p.td.extra_rows;
        const View& v = x.side == 'a' ? *p.pair.a : *p.pair.b;
        x.all_zero = extra_rows_zero(x.side == 'a' ? ca : cb, v, x, o.chunk_elems, o.force_stream);
        const uint64_t bigger = x.first_row + x.rows;
        const bool padding = is_vocab_tensor(p.td.name) && x.all_zero && bigger % 32 == 0 && x.rows < 32;
        if (!padding) p.td.status = DiffStatus::shape_mismatch;
      }
    }
    const bool diagnosable = p.td.status == DiffStatus::differs || p.td.status == DiffStatus::shape_mismatch ||
                             (p.td.extra_rows && p.td.status == DiffStatus::equal);
    if (diagnose_all && p.pair.a && p.pair.b && diagnosable) to_diagnose.push_back(i);
  }
  // Each diagnosis reads only its own pair (at most one pass over each side), so they run
  // on the worker threads, largest tensors first.
  std::stable_sort(to_diagnose.begin(), to_diagnose.end(),
                   [&](size_t x, size_t y) { return plans[x].pair.a->numel > plans[y].pair.a->numel; });
  for_each_parallel(to_diagnose.size(), o.threads, [&](size_t k) {
    Plan& p = plans[to_diagnose[k]];
    p.td.diagnosis = diagnose(ctx, p.pair, p.td, p.rule, p.compared ? &p.acc : nullptr);
  });
  for (auto& p : plans) {
    if (!p.pair.a || !p.pair.b) {
      // A classifier stored by one file and shared with the embedding by the other is
      // the same model when the values agree: the tensors decide, not the storage.
      p.td.diagnosis = diagnose_classifier(ctx, p.pair, base_rule(o));
      if (p.td.diagnosis && p.td.diagnosis->kind == DiagnosisKind::shared_classifier) p.td.layout_only = true;
    }
    rep.tensors.push_back(std::move(p.td));
  }
  for (const auto& c : rep.config)
    if (c.field == "shared_classifier")
      rep.notes.push_back("the files disagree on whether the classifier is shared with the embedding");
  return rep;
}

}  // namespace ckpt
