//! `pybench update [PATH...]`: fresh seeds for every selected benchmark,
//! and its baseline rewritten.

use crate::cli::UpdateArgs;
use crate::error::Error;

pub fn run(args: &UpdateArgs) -> Result<i32, Error> {
    if args.against.is_some() {
        return Err(Error::UpdateAgainst);
    }
    super::check::run(args.mode())
}
