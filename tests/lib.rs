mod book;
mod common;
mod constructs;
mod corpus;
mod crash;
mod hostile;
mod interactive;
mod run;
