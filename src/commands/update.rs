//! `pybench update [PATH...]`: fresh seeds for every selected benchmark,
//! and its baseline rewritten.

use crate::cli::UpdateArgs;
use crate::error::Error;
use crate::settings::RunMode;

pub fn run(args: &UpdateArgs) -> Result<i32, Error> {
    if args.run.against.is_some() {
        return Err(Error::UpdateAgainst);
    }
    super::check::run_mode(&args.run, RunMode::Update, args.n_seeds)
}
