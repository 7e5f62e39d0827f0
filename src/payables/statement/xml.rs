//! The ISO 20022 XML that bank statements and status reports arrive in, as serde reads it
//! (camt.053 statements, camt.054 notifications, pain.002 status reports; versions .02 to
//! .08 differ only in a few wrappers, which are both accepted). Everything is optional here:
//! what an entry must have is checked in `super`, so a bad entry can be named. Pure.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Document {
    #[serde(rename = "BkToCstmrStmt")]
    pub statement: Option<Report>,
    #[serde(rename = "BkToCstmrDbtCdtNtfctn")]
    pub notification: Option<Report>,
    #[serde(rename = "CstmrPmtStsRpt")]
    pub status: Option<StatusReport>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Report {
    #[serde(rename = "Stmt", default)]
    pub statements: Vec<Account>,
    #[serde(rename = "Ntfctn", default)]
    pub notifications: Vec<Account>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Account {
    #[serde(rename = "Id")]
    pub id: Option<String>,
    #[serde(rename = "Acct")]
    pub account: Option<AccountRef>,
    #[serde(rename = "Ntry", default)]
    pub entries: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountRef {
    #[serde(rename = "Id")]
    pub id: Option<AccountId>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountId {
    #[serde(rename = "IBAN")]
    pub iban: Option<String>,
    #[serde(rename = "Othr")]
    pub other: Option<Other>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Other {
    #[serde(rename = "Id")]
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Amount {
    #[serde(rename = "@Ccy")]
    pub currency: Option<String>,
    #[serde(rename = "$text")]
    pub value: Option<String>,
}

/// `<Sts>BOOK</Sts>` (.02) or `<Sts><Cd>BOOK</Cd></Sts>` (.08).
#[derive(Debug, Default, Deserialize)]
pub struct Status {
    #[serde(rename = "$text")]
    pub text: Option<String>,
    #[serde(rename = "Cd")]
    pub code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DateChoice {
    #[serde(rename = "Dt")]
    pub date: Option<String>,
    #[serde(rename = "DtTm")]
    pub date_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Entry {
    #[serde(rename = "NtryRef")]
    pub entry_ref: Option<String>,
    #[serde(rename = "Amt")]
    pub amount: Option<Amount>,
    #[serde(rename = "CdtDbtInd")]
    pub direction: Option<String>,
    #[serde(rename = "RvslInd")]
    pub reversal: Option<String>,
    #[serde(rename = "Sts")]
    pub status: Option<Status>,
    #[serde(rename = "BookgDt")]
    pub booked: Option<DateChoice>,
    #[serde(rename = "AcctSvcrRef")]
    pub bank_ref: Option<String>,
    #[serde(rename = "NtryDtls", default)]
    pub details: Vec<EntryDetails>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EntryDetails {
    #[serde(rename = "TxDtls", default)]
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Transaction {
    #[serde(rename = "Refs")]
    pub refs: Option<Refs>,
    #[serde(rename = "Amt")]
    pub amount: Option<Amount>,
    #[serde(rename = "AmtDtls")]
    pub amount_details: Option<AmountDetails>,
    #[serde(rename = "RltdPties")]
    pub parties: Option<Parties>,
    #[serde(rename = "RmtInf")]
    pub remittance: Option<Remittance>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Refs {
    #[serde(rename = "EndToEndId")]
    pub end_to_end: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AmountDetails {
    #[serde(rename = "TxAmt")]
    pub transaction: Option<AmountBox>,
    #[serde(rename = "InstdAmt")]
    pub instructed: Option<AmountBox>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AmountBox {
    #[serde(rename = "Amt")]
    pub amount: Option<Amount>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Parties {
    #[serde(rename = "Cdtr")]
    pub creditor: Option<Party>,
    #[serde(rename = "CdtrAcct")]
    pub creditor_account: Option<AccountRef>,
}

/// `<Cdtr><Nm>` (.02) or `<Cdtr><Pty><Nm>` (.08).
#[derive(Debug, Default, Deserialize)]
pub struct Party {
    #[serde(rename = "Nm")]
    pub name: Option<String>,
    #[serde(rename = "Pty")]
    pub party: Option<Box<Party>>,
}

impl Party {
    pub fn name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or_else(|| self.party.as_ref().and_then(|p| p.name()))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Remittance {
    #[serde(rename = "Ustrd", default)]
    pub unstructured: Vec<String>,
    #[serde(rename = "Strd", default)]
    pub structured: Vec<Structured>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Structured {
    #[serde(rename = "RfrdDocInf", default)]
    pub documents: Vec<DocumentInfo>,
    #[serde(rename = "CdtrRefInf")]
    pub creditor_ref: Option<CreditorRef>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DocumentInfo {
    #[serde(rename = "Nb")]
    pub number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CreditorRef {
    #[serde(rename = "Ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusReport {
    #[serde(rename = "OrgnlPmtInfAndSts", default)]
    pub payments: Vec<PaymentStatus>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PaymentStatus {
    #[serde(rename = "PmtInfSts")]
    pub status: Option<String>,
    #[serde(rename = "TxInfAndSts", default)]
    pub transactions: Vec<TransactionStatus>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TransactionStatus {
    #[serde(rename = "OrgnlInstrId")]
    pub instruction: Option<String>,
    #[serde(rename = "OrgnlEndToEndId")]
    pub end_to_end: Option<String>,
    #[serde(rename = "TxSts")]
    pub status: Option<String>,
    #[serde(rename = "StsRsnInf", default)]
    pub reasons: Vec<StatusReason>,
    #[serde(rename = "OrgnlTxRef")]
    pub original: Option<OriginalTransaction>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusReason {
    #[serde(rename = "Rsn")]
    pub reason: Option<ReasonCode>,
    #[serde(rename = "AddtlInf", default)]
    pub info: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReasonCode {
    #[serde(rename = "Cd")]
    pub code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OriginalTransaction {
    #[serde(rename = "Amt")]
    pub amount: Option<OriginalAmount>,
    #[serde(rename = "Cdtr")]
    pub creditor: Option<Party>,
    #[serde(rename = "RmtInf")]
    pub remittance: Option<Remittance>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OriginalAmount {
    #[serde(rename = "InstdAmt")]
    pub instructed: Option<Amount>,
}
