//! The file graph of a crate and its circles. File A has an edge to file B when A's non-test
//! code names, through a `crate::`, `super::`, `self::` or submodule path, something B defines
//! (or module B itself). A parent naming its children is an edge like any other, so a parent
//! whose children name its items is in a circle with them: shared items belong in a leaf
//! child, and the parent only lists and re-exports. A circle is a strongly connected component
//! of more than one file.

use std::collections::BTreeMap;

use super::refs::references;
use super::resolve::Resolver;
use super::tree::Crate;

/// Why file `from` depends on file `to`: the first reference found.
pub(crate) struct Edge {
    /// The naming file, an index into [`Crate::files`].
    pub(crate) from: usize,
    /// The file that defines what is named.
    pub(crate) to: usize,
    /// Line of the reference in `from`.
    pub(crate) line: usize,
    /// The path as written (`super::plan::Plan`).
    pub(crate) path: String,
}

/// A `crate::`/`super::` path the resolver could not follow: `file:line path`.
pub(crate) struct Unresolved {
    /// Index into [`Crate::files`].
    pub(crate) file: usize,
    /// Line of the path.
    pub(crate) line: usize,
    /// The path as written.
    pub(crate) path: String,
}

/// The file graph: one edge per ordered pair of files, and the paths left unresolved.
pub(crate) fn file_graph(krate: &Crate) -> (Vec<Edge>, Vec<Unresolved>) {
    let resolver = Resolver::new(krate);
    let mut edges: BTreeMap<(usize, usize), Edge> = BTreeMap::new();
    let mut unresolved = Vec::new();
    for (id, module) in krate.modules.iter().enumerate() {
        if module.test_only {
            continue;
        }
        let local = module.children.keys().cloned().collect();
        for reference in references(&module.items, &local) {
            let path = reference.segments.join("::");
            let Some(target) = resolver.resolve(id, &reference.segments) else {
                let (file, line) = (module.file, reference.line);
                unresolved.push(Unresolved { file, line, path });
                continue;
            };
            let to = krate.modules[target.module()].file;
            if to == module.file {
                continue;
            }
            let (from, line) = (module.file, reference.line);
            edges.entry((from, to)).or_insert(Edge {
                from,
                to,
                line,
                path,
            });
        }
    }
    (edges.into_values().collect(), unresolved)
}

/// The strongly connected components of more than one node (Tarjan), each sorted.
pub(crate) fn circles(nodes: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut next = vec![Vec::new(); nodes];
    for &(from, to) in edges {
        next[from].push(to);
    }
    let mut state = Tarjan {
        next,
        index: vec![None; nodes],
        low: vec![0; nodes],
        stack: Vec::new(),
        on_stack: vec![false; nodes],
        counter: 0,
        found: Vec::new(),
    };
    for node in 0..nodes {
        if state.index[node].is_none() {
            state.connect(node);
        }
    }
    state.found
}

struct Tarjan {
    next: Vec<Vec<usize>>,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    stack: Vec<usize>,
    on_stack: Vec<bool>,
    counter: usize,
    found: Vec<Vec<usize>>,
}

impl Tarjan {
    fn connect(&mut self, node: usize) {
        self.index[node] = Some(self.counter);
        self.low[node] = self.counter;
        self.counter += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
        for to in self.next[node].clone() {
            match self.index[to] {
                None => {
                    self.connect(to);
                    self.low[node] = self.low[node].min(self.low[to]);
                }
                Some(index) if self.on_stack[to] => self.low[node] = self.low[node].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[node]) == self.index[node] {
            let mut component = Vec::new();
            while let Some(top) = self.stack.pop() {
                self.on_stack[top] = false;
                component.push(top);
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort_unstable();
                self.found.push(component);
            }
        }
    }
}

/// One message per circle in `krate`: its files, and each edge inside it with the line and
/// path that makes it.
pub(crate) fn circle_reports(krate: &Crate) -> Vec<String> {
    let (edges, _) = file_graph(krate);
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.from, e.to)).collect();
    circles(krate.files.len(), &pairs)
        .into_iter()
        .map(|component| {
            let names: Vec<String> = component.iter().map(|&f| krate.file_name(f)).collect();
            let mut report = format!(
                "import circle of {} files: {}",
                names.len(),
                names.join(", ")
            );
            for edge in &edges {
                if component.contains(&edge.from) && component.contains(&edge.to) {
                    let from = &krate.files[edge.from].path;
                    let to = &krate.files[edge.to].path;
                    let (line, path) = (edge.line, &edge.path);
                    report.push_str(&format!("\n    {from} -> {to}  ({from}:{line} `{path}`)"));
                }
            }
            report
        })
        .collect()
}
