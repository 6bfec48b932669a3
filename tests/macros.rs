/// `pbtest!(name, |dir: Fixture, cmd: Pybench| { ... })` defines the test
/// `name`. Its body gets `dir`, a fresh fixture named after the test —
/// [`TestRepo`](crate::util::TestRepo), an empty git repository, or
/// [`TestDir`](crate::util::TestDir), a plain directory outside any
/// repository — and `cmd`, the [`Pybench`](crate::util::Pybench) command
/// that runs there. `pbtest!(name, |dir: Fixture| { ... })` is the same
/// test without the command.
macro_rules! pbtest {
    ($name:ident, |$dir:ident: $fixture:ty, $cmd:ident: Pybench| $body:block) => {
        #[test]
        fn $name() {
            let $dir = <$fixture>::new(stringify!($name));
            let $cmd = $crate::util::Pybench::new($dir.path());
            $body
        }
    };
    ($name:ident, |$dir:ident: $fixture:ty| $body:block) => {
        #[test]
        fn $name() {
            let $dir = <$fixture>::new(stringify!($name));
            $body
        }
    };
}
