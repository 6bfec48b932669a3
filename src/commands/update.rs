//! `pybench update [PATH...]`: fresh seeds for every selected benchmark,
//! and its baseline rewritten.

use crate::cli::UpdateArgs;
use crate::error::Error;
use crate::settings::RunMode;
use crate::stats::Family;

pub fn run(args: &UpdateArgs) -> Result<i32, Error> {
    if args.against.is_some() {
        return Err(Error::UpdateAgainst);
    }
    // An update judges nothing, so no run-level correction applies.
    let how = super::check::How {
        family: Family::None,
        adaptive: false,
    };
    super::check::run_mode(&args.run, how, RunMode::Update, args.n_seeds)
}
